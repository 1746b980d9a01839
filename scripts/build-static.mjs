// Copies the nhsuk-frontend build (CSS, JS, images, manifest) into static/vendor/, where
// Django's staticfiles and whitenoise serve it. The pairing with nhsuk-frontend-jinja is
// pinned in package.json and pyproject.toml: change both together.
import { cpSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(root, "node_modules", "nhsuk-frontend", "dist", "nhsuk");
const target = join(root, "static", "vendor", "nhsuk-frontend");

const { version } = JSON.parse(
  readFileSync(join(root, "node_modules", "nhsuk-frontend", "package.json"), "utf8"),
);

// Built in a folder of this run's own, then moved into place whole: two set-ups running at
// once (an editor's and a test run's) never leave a half-copied folder behind.
const building = `${target}.building-${process.pid}`;
rmSync(building, { recursive: true, force: true });
mkdirSync(building, { recursive: true });
// The source maps too: the manifest storage rewrites their references and needs them present.
for (const file of [
  "nhsuk-frontend.min.css",
  "nhsuk-frontend.min.css.map",
  "nhsuk-frontend.min.js",
  "nhsuk-frontend.min.js.map",
]) {
  cpSync(join(source, file), join(building, file));
}
cpSync(join(source, "assets"), join(building, "assets"), { recursive: true });
writeFileSync(join(building, "VERSION"), `${version}\n`);
// Swap by renames only, so the folder is at every moment absent or complete.
const previous = `${target}.previous-${process.pid}`;
try {
  renameSync(target, previous);
} catch {
  // No copy yet, or another set-up is swapping its own in.
}
try {
  renameSync(building, target);
} catch {
  // Another set-up has just put its complete copy in place: keep that one.
  rmSync(building, { recursive: true, force: true });
}
rmSync(previous, { recursive: true, force: true });
console.log(`nhsuk-frontend ${version} copied to ${target}`);
