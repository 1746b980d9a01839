// Starts the NHS.UK frontend components (header menu, skip link, error summary focus) and the
// session timeout warning. Every page works without it: this only adds behaviour, never content.
import { initAll } from "../vendor/nhsuk-frontend/nhsuk-frontend.min.js";

initAll();

// Signed-in pages say when to move on by themselves (data-session-timeout-*): to the warning
// page two minutes before the inactivity limit, and into NHS login to sign in again when the
// session has ended, with no button to press (NHS login's "Session management"). Without
// JavaScript a <noscript> refresh does the same.
const { sessionTimeoutAfter, sessionTimeoutUrl } = document.body.dataset;
if (sessionTimeoutAfter && sessionTimeoutUrl) {
  window.setTimeout(() => {
    window.location.assign(sessionTimeoutUrl);
  }, Number(sessionTimeoutAfter) * 1000);
}
