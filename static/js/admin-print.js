// The new linkage key's page: its Print button is hidden in the HTML and appears only where
// JavaScript can print. Without it, the browser's own Print command prints the same letter.
for (const button of document.querySelectorAll("[data-app-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
