// Copies the nhsuk-frontend build (CSS, JS, images, manifest) into static/vendor/, where
// Django's staticfiles and whitenoise serve it. The pairing with nhsuk-frontend-jinja is
// pinned in package.json and pyproject.toml: change both together.
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(root, "node_modules", "nhsuk-frontend", "dist", "nhsuk");
const target = join(root, "static", "vendor", "nhsuk-frontend");

const { version } = JSON.parse(
  readFileSync(join(root, "node_modules", "nhsuk-frontend", "package.json"), "utf8"),
);

rmSync(target, { recursive: true, force: true });
mkdirSync(target, { recursive: true });
// The source maps too: the manifest storage rewrites their references and needs them present.
for (const file of [
  "nhsuk-frontend.min.css",
  "nhsuk-frontend.min.css.map",
  "nhsuk-frontend.min.js",
  "nhsuk-frontend.min.js.map",
]) {
  cpSync(join(source, file), join(target, file));
}
cpSync(join(source, "assets"), join(target, "assets"), { recursive: true });
writeFileSync(join(target, "VERSION"), `${version}\n`);
console.log(`nhsuk-frontend ${version} copied to ${target}`);
