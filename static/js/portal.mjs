// Starts the NHS.UK frontend components (header menu, skip link, error summary focus) and the
// session timeout warning. Every page works without it: this only adds behaviour, never content.
import { initAll } from "../vendor/nhsuk-frontend/nhsuk-frontend.min.js";

initAll();

// Signed-in pages say when to move on by themselves (data-session-*, accounts/session_timer.py):
// the warning opens over the page before the inactivity limit, so that what the patient was
// reading stays there, and when the session has ended the page goes into NHS login to sign in
// again, with no button to press (NHS login's "Session management"). Without JavaScript a
// <noscript> refresh goes to the warning page instead.
const session = document.body.dataset;
const dialog = document.getElementById("session-warning");
const timers = { warn: 0, end: 0 };
let focusBefore = null;

function sessionTimersStart(warnAfter, endAfter) {
  window.clearTimeout(timers.warn);
  window.clearTimeout(timers.end);
  if (warnAfter !== null) {
    timers.warn = window.setTimeout(sessionWarningOpen, warnAfter * 1000);
  }
  timers.end = window.setTimeout(() => {
    window.location.assign(session.sessionEndUrl);
  }, endAfter * 1000);
}

function sessionWarningOpen() {
  if (!dialog || typeof dialog.showModal !== "function") {
    window.location.assign(session.sessionWarningUrl);
    return;
  }
  focusBefore = document.activeElement;
  dialog.showModal();
  dialog.querySelector("button").focus();
}

function sessionWarningClose() {
  dialog.close();
  if (focusBefore && document.contains(focusBefore)) focusBefore.focus();
}

// "Stay signed in" without leaving the page: the post is activity, and the answer says when to
// warn next. If it cannot be had (the session has just ended, the network), the form is sent
// as the warning page sends it, and the browser goes where the server says.
async function staySignedIn(form) {
  try {
    const response = await fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      redirect: "manual",
    });
    if (!response.ok) throw new Error(`stay signed in: ${response.status}`);
    const { warnAfter, endAfter } = await response.json();
    sessionWarningClose();
    sessionTimersStart(warnAfter, endAfter);
  } catch {
    form.submit();
  }
}

if (session.sessionEndAfter && session.sessionEndUrl) {
  const warnAfter = session.sessionWarnAfter ? Number(session.sessionWarnAfter) : null;
  sessionTimersStart(warnAfter, Number(session.sessionEndAfter));
}

if (dialog) {
  const form = dialog.querySelector("form[data-session-stay]");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    staySignedIn(form);
  });
  // Escape would only hide the warning, not the time running out: it keeps the patient signed
  // in, as "Stay signed in" does.
  dialog.addEventListener("cancel", (event) => {
    event.preventDefault();
    staySignedIn(form);
  });
}

// Copy buttons are hidden in the HTML: they appear only where JavaScript can copy.
for (const button of document.querySelectorAll("[data-copy-target]")) {
  const source = document.getElementById(button.dataset.copyTarget);
  if (!source || !navigator.clipboard) continue;
  button.hidden = false;
  button.addEventListener("click", async () => {
    await navigator.clipboard.writeText(source.textContent.trim());
    button.textContent = "Copied";
  });
}
