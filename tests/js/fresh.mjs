// The npm package as a new user gets it: `npm pack` of pkg/npm, installed from the tarball into
// an empty project in a temporary folder; and the README's JS examples, read from the README.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const bin = (name) => path.join(root, "node_modules/.bin", name);

let tarball;

/** An empty project (`npm init -y`) with the packed package installed; its folder. */
export function freshProject(name) {
  if (!tarball) {
    const out = execFileSync("npm", ["pack", "--silent", "--pack-destination", path.join(root, "target"), path.join(root, "pkg/npm")], { encoding: "utf8" });
    tarball = path.join(root, "target", out.trim().split("\n").pop());
  }
  const dir = mkdtempSync(path.join(tmpdir(), `edgecache-${name}-`));
  execFileSync("npm", ["init", "-y"], { cwd: dir, stdio: "ignore" });
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", tarball], { cwd: dir, stdio: "inherit" });
  return dir;
}

/** The README's ```js block whose first line starts with `firstLine`. */
export function readmeExample(firstLine) {
  const readme = readFileSync(path.join(root, "README.md"), "utf8");
  const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
  const block = blocks.find((b) => b.startsWith(firstLine));
  if (!block) throw new Error(`no README example starting ${JSON.stringify(firstLine)}`);
  return block;
}

/** Writes `files` ({ relative path: text }) under `dir`. */
export function write(dir, files) {
  for (const [file, text] of Object.entries(files)) writeFileSync(path.join(dir, file), text);
}
