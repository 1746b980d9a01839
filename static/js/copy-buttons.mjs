// Copy buttons for the linkage details page (templates/linkage/details.jinja). The page shows
// each detail as text a patient can select and copy themselves; the buttons are hidden in the
// HTML and shown only where the browser lets a page write to the clipboard. After a copy the
// button says so for a few seconds, and the page's live region says it to screen readers.
const status = document.getElementById("copy-status");
const SAID_FOR_MS = 5000;

function say(message) {
  // Emptied first, so that the same message twice in a row is announced twice.
  status.textContent = "";
  window.setTimeout(() => {
    status.textContent = message;
  }, 100);
}

if (status && navigator.clipboard && window.isSecureContext) {
  for (const button of document.querySelectorAll("[data-copy-target]")) {
    const source = document.getElementById(button.dataset.copyTarget);
    const { copied, notCopied } = button.dataset;
    if (!source || !copied || !notCopied) continue;
    const label = button.textContent;
    let restore = 0;
    button.hidden = false;
    button.addEventListener("click", async () => {
      window.clearTimeout(restore);
      try {
        await navigator.clipboard.writeText(source.textContent.trim());
        button.textContent = copied;
        say(copied);
      } catch {
        say(notCopied);
      }
      restore = window.setTimeout(() => {
        button.textContent = label;
      }, SAID_FOR_MS);
    });
  }
}
