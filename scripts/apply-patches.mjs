// Applies keel's patches to installed packages (patches/<name>@<version>.patch), run by
// `npm ci` as the postinstall step: npm has no patchedDependencies. Plain Node, no
// dependencies, because it runs before anything else is usable.
//
// A patch is a unified diff against the package's directory (as `diff -u` or `git diff`
// writes it). Each hunk must match exactly once (no fuzz); a package whose version is not
// the patch's, or whose files do not match, fails the install loudly rather than running
// unpatched or half-patched. Running it again is a no-op (each hunk is checked applied).
//
//   node scripts/apply-patches.mjs           apply (or confirm applied)
//   node scripts/apply-patches.mjs --check   exit 1 unless every patch is applied
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const check = process.argv.includes("--check");

/** The files of a unified diff: { path, hunks: [{ before, after }] } (path without a/ b/). */
function parsePatch(text, name) {
  const files = [];
  const lines = text.split("\n");
  let file;
  let hunk;
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n];
    if (line.startsWith("--- ")) {
      hunk = undefined;
      continue;
    }
    if (line.startsWith("+++ ")) {
      const path = line.slice(4).split("\t")[0].replace(/^b\//, "");
      file = { path, hunks: [] };
      files.push(file);
      continue;
    }
    if (line.startsWith("@@")) {
      if (!file) throw new Error(`${name}:${n + 1}: a hunk before any file header`);
      hunk = { before: [], after: [], line: n + 1 };
      file.hunks.push(hunk);
      continue;
    }
    if (!hunk) continue; // the header's prose, or diff/index lines
    if (line.startsWith("\\")) continue; // "\ No newline at end of file"
    const body = line.slice(1);
    if (line.startsWith(" ") || line === "") {
      hunk.before.push(body);
      hunk.after.push(body);
    } else if (line.startsWith("-")) hunk.before.push(body);
    else if (line.startsWith("+")) hunk.after.push(body);
    else throw new Error(`${name}:${n + 1}: not a diff line: ${JSON.stringify(line.slice(0, 40))}`);
  }
  for (const f of files)
    for (const h of f.hunks) {
      // a trailing blank context line is the split's artefact of the file's last newline
      while (h.before.at(-1) === "" && h.after.at(-1) === "") {
        h.before.pop();
        h.after.pop();
      }
      h.before = h.before.join("\n");
      h.after = h.after.join("\n");
    }
  return files;
}

const count = (s, part) => s.split(part).length - 1;

/** Apply one patch to the package in node_modules; returns a sentence, throws on a mismatch. */
function applyPatch(patchFile) {
  const m = /^(.+)@(\d[^@]*)\.patch$/.exec(patchFile);
  if (!m) throw new Error(`patches/${patchFile}: name it <package>@<version>.patch`);
  const [, pkg, version] = m;
  const dir = join(root, "node_modules", pkg);
  let installed;
  try {
    installed = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).version;
  } catch (e) {
    throw new Error(`patches/${patchFile}: ${pkg} is not installed (${e.message})`);
  }
  if (installed !== version)
    throw new Error(
      `patches/${patchFile}: installed ${pkg} is ${installed}, the patch is for ${version}: port the patch (or drop it if upstream has it)`,
    );
  const files = parsePatch(readFileSync(join(root, "patches", patchFile), "utf8"), `patches/${patchFile}`);
  let applied = 0;
  let already = 0;
  for (const f of files) {
    const path = join(dir, f.path);
    let text = readFileSync(path, "utf8");
    for (const h of f.hunks) {
      const where = `patches/${patchFile}:${h.line} (${pkg}/${f.path})`;
      // applied: the new text is there once, and the old is gone (or only inside the new: a hunk that only adds)
      const before = count(text, h.before);
      if (count(text, h.after) === 1 && (before === 0 || (before === 1 && h.after.includes(h.before)))) {
        already++;
        continue;
      }
      if (check) throw new Error(`${where}: not applied`);
      if (before !== 1)
        throw new Error(`${where}: the hunk's text occurs ${before} times in the installed file, expected once`);
      text = text.replace(h.before, () => h.after);
      applied++;
    }
    if (!check) writeFileSync(path, text);
  }
  return `${pkg}@${version}: ${applied} hunks applied, ${already} already applied`;
}

const patches = readdirSync(join(root, "patches")).filter((f) => f.endsWith(".patch"));
let failed = false;
for (const p of patches) {
  try {
    console.log(`patches: ${applyPatch(p)}`);
  } catch (e) {
    console.error(`patches: ${e.message}`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
