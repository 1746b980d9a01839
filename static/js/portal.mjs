// Starts the NHS.UK frontend components (header menu, skip link, error summary focus).
// Every page works without it: this only adds behaviour, never content.
import { initAll } from "../vendor/nhsuk-frontend/nhsuk-frontend.min.js";

initAll();
