// Starts the NHS.UK frontend components (header menu, skip link, error summary focus) and the
// session timeout warning. Every page works without it: this only adds behaviour, never content.
import { initAll } from "../vendor/nhsuk-frontend/nhsuk-frontend.min.js";

initAll();

// Signed-in pages say when the session is about to end (data-session-timeout-*); without
// JavaScript a <noscript> refresh does the same.
const { sessionTimeoutAfter, sessionTimeoutUrl } = document.body.dataset;
if (sessionTimeoutAfter && sessionTimeoutUrl) {
  window.setTimeout(() => {
    window.location.assign(sessionTimeoutUrl);
  }, Number(sessionTimeoutAfter) * 1000);
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
