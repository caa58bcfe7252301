/**
 * The keyword paths keepalived's parsers install, read from its C sources at a git tag:
 *
 *   bun scripts/keepalived-keywords.ts GIT_DIR TAG > test/fixtures/compat/keywords-X.Y.Z.txt
 *
 * GIT_DIR is a clone of github.com/acassen/keepalived (a bare one is enough). keepalived
 * builds its keyword tree at start-up (lib/parser.c): install_keyword_root() starts a
 * top-level keyword, install_keyword() adds one at the current level, install_sublevel()
 * makes the keyword just installed the parent of those that follow and
 * install_sublevel_end() returns to its parent. This script replays those calls
 * statically: every function that installs a root keyword is an entry point, calls to
 * other functions that install keywords are followed in place (with string-literal
 * arguments bound to their parameters, for wrappers such as check_http.c's
 * install_http_ssl_check_keyword(keyword) or bfd_parser.c's install_keyword_conditional),
 * and every #if branch is taken (Debian builds with SNMP, BFD, LVS and VRRP, and a path
 * installed in two branches is listed once). The output is sorted, one path a line,
 * dot-separated (`virtual_server.real_server.HTTP_GET.url.digest`).
 */
import { spawnSync } from "node:child_process";

const INSTALL = new Set([
  "install_keyword_root",
  "install_keyword",
  "install_keyword_quoted",
  "install_sublevel",
  "install_sublevel_end",
]);

interface Fn {
  name: string;
  params: string[];
  body: string;
}

function git(gitDir: string, ...args: string[]): string {
  const r = spawnSync("git", [`--git-dir=${gitDir}`, ...args], { encoding: "utf8", maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** C source without comments; string literals are kept (keywords live in them). */
function stripComments(src: string): string {
  let out = "";
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += src[j] === "\\" ? 2 : 1;
      out += src.slice(i, j + 1);
      i = j + 1;
    } else if (c === "/" && src[i + 1] === "*") {
      const end = src.indexOf("*/", i + 2);
      i = end < 0 ? src.length : end + 2;
      out += " ";
    } else if (c === "/" && src[i + 1] === "/") {
      const end = src.indexOf("\n", i);
      i = end < 0 ? src.length : end;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Top-level function definitions: `name(params) {` at depth 0, body by brace matching. */
function functions(src: string): Fn[] {
  const out: Fn[] = [];
  // parameters may hold one level of parentheses (function pointers)
  const head = /\b([A-Za-z_]\w*)\s*\(((?:[^()]|\([^()]*\))*)\)\s*\{/g;
  let depth = 0;
  let i = 0;
  for (;;) {
    head.lastIndex = i;
    const m = head.exec(src);
    if (!m) break;
    // depth of the match start: count braces between i and it
    for (let k = i; k < m.index; k++) {
      if (src[k] === "{") depth++;
      else if (src[k] === "}") depth--;
    }
    const open = m.index + m[0].length - 1;
    if (depth !== 0 || ["if", "for", "while", "switch"].includes(m[1] as string)) {
      i = open;
      continue;
    }
    let d = 0;
    let j = open;
    for (; j < src.length; j++) {
      const ch = src[j];
      if (ch === '"' || ch === "'") {
        let e = j + 1;
        while (e < src.length && src[e] !== ch) e += src[e] === "\\" ? 2 : 1;
        j = e;
      } else if (ch === "{") d++;
      else if (ch === "}" && --d === 0) break;
    }
    const params = (m[2] as string)
      .split(",")
      .map((p) => /(\w+)\s*(\)\s*\(.*)?$/.exec(p.replace(/\(\s*\*\s*(\w+)\s*\)\s*\(.*$/, "$1").trim())?.[1] ?? "")
      .filter((p) => p !== "void");
    out.push({ name: m[1] as string, params, body: src.slice(open + 1, j) });
    i = j + 1;
  }
  return out;
}

/** Calls in a body, in order: name and raw argument texts (top-level commas only). */
function* calls(body: string): Generator<{ name: string; args: string[] }> {
  const re = /\b([A-Za-z_]\w*)\s*\(/g;
  for (let m = re.exec(body); m; m = re.exec(body)) {
    let d = 1;
    let j = re.lastIndex;
    const args: string[] = [];
    let start = j;
    for (; j < body.length && d > 0; j++) {
      const ch = body[j];
      if (ch === '"' || ch === "'") {
        let e = j + 1;
        while (e < body.length && body[e] !== ch) e += body[e] === "\\" ? 2 : 1;
        j = e;
      } else if (ch === "(") d++;
      else if (ch === ")") d--;
      else if (ch === "," && d === 1) {
        args.push(body.slice(start, j).trim());
        start = j + 1;
      }
    }
    args.push(body.slice(start, j - 1).trim());
    yield { name: m[1] as string, args };
  }
}

/**
 * The body without the branches a bound parameter rules out: `if (PARAM) { ... }` for a
 * true/false one (check_api.c install_checker_common_keywords(connection_keywords):
 * MISC_CHECK passes false and so has no connect_ip, bindto, ...), and
 * `if (!strcmp(PARAM, "LIT"))` for a string one (check_http.c
 * install_http_ssl_check_keyword: only SSL_GET gets tls_compliant). The branch is a
 * `{ ... }` block or one statement; an `else` after a block is kept or dropped the other way.
 */
function prune(body: string, env: Map<string, string>): string {
  const re = /\bif\s*\(\s*(?:(!?)\s*(\w+)|(!?)\s*strcmp\s*\(\s*(\w+)\s*,\s*"([^"]*)"\s*\))\s*\)\s*/g;
  for (let m = re.exec(body); m; m = re.exec(body)) {
    let holds: boolean;
    if (m[2] !== undefined) {
      const v = env.get(m[2]);
      if (v !== "true" && v !== "false") continue;
      holds = (v === "true") !== (m[1] === "!");
    } else {
      const v = env.get(m[4] as string);
      if (v === undefined) continue;
      // strcmp() is 0 (false) when equal: `!strcmp` holds for the same string
      holds = (v === m[5]) === (m[3] === "!");
    }
    const at = m.index + m[0].length;
    let branch: string;
    let rest: number;
    let elseBranch = "";
    if (body[at] === "{") {
      const close = matching(body, at);
      branch = body.slice(at + 1, close);
      rest = close + 1;
      const after = /^\s*else\s*\{/.exec(body.slice(rest));
      if (after) {
        const elseClose = matching(body, rest + after[0].length - 1);
        elseBranch = body.slice(rest + after[0].length, elseClose);
        rest = elseClose + 1;
      }
    } else {
      // one statement: up to its `;` (a call's arguments hold no `;`)
      const semi = body.indexOf(";", at);
      rest = semi < 0 ? body.length : semi + 1;
      branch = body.slice(at, rest);
    }
    body = body.slice(0, m.index) + (holds ? branch : elseBranch) + body.slice(rest);
    re.lastIndex = m.index;
  }
  return body;
}

/** Index of the `}` closing the `{` at `open`. */
function matching(src: string, open: number): number {
  let d = 0;
  for (let j = open; j < src.length; j++) {
    if (src[j] === "{") d++;
    else if (src[j] === "}" && --d === 0) return j;
  }
  return src.length;
}

export function extract(gitDir: string, tag: string): string[] {
  const files = git(gitDir, "ls-tree", "-r", "--name-only", tag)
    .split("\n")
    .filter((f) => /^(keepalived|lib)\/.*\.c$/.test(f));
  const fns = new Map<string, Fn>();
  for (const f of files) {
    const src = stripComments(git(gitDir, "show", `${tag}:${f}`));
    if (!/install_keyword|install_sublevel/.test(src)) continue;
    for (const fn of functions(src)) if (!INSTALL.has(fn.name)) fns.set(fn.name, fn);
  }
  // functions that install keywords, directly or through a callee
  const installs = new Set<string>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const fn of fns.values()) {
      if (installs.has(fn.name)) continue;
      for (const c of calls(fn.body))
        if (INSTALL.has(c.name) || installs.has(c.name)) {
          installs.add(fn.name);
          changed = true;
          break;
        }
    }
  }
  const paths = new Set<string>();
  let parents: string[] = [];
  let last = "";
  const literal = (a: string, env: Map<string, string>): string | undefined => {
    const m = /^"([^"]*)"$/.exec(a);
    return m ? m[1] : env.get(a);
  };
  const run = (fn: Fn, env: Map<string, string>, depth: number): void => {
    if (depth > 20) throw new Error(`call depth at ${fn.name}`);
    for (const c of calls(prune(fn.body, env))) {
      if (c.name === "install_keyword_root") {
        const k = literal(c.args[0] ?? "", env);
        if (k === undefined) throw new Error(`${fn.name}: root keyword ${c.args[0]} is not a literal`);
        parents = [k];
        last = k;
        paths.add(k);
      } else if (c.name === "install_keyword" || c.name === "install_keyword_quoted") {
        const k = literal(c.args[0] ?? "", env);
        if (k === undefined) throw new Error(`${fn.name}: keyword ${c.args[0]} is not a literal`);
        if (parents.length === 0) throw new Error(`${fn.name}: keyword ${k} before any root`);
        last = k;
        paths.add([...parents, k].join("."));
      } else if (c.name === "install_sublevel") parents.push(last);
      else if (c.name === "install_sublevel_end") parents.pop();
      else if (installs.has(c.name)) {
        const callee = fns.get(c.name) as Fn;
        const bound = new Map<string, string>();
        callee.params.forEach((p, i) => {
          const a = c.args[i] ?? "";
          const v = a === "true" || a === "false" ? a : literal(a, env);
          if (v !== undefined) bound.set(p, v);
        });
        run(callee, bound, depth + 1);
      }
    }
  };
  for (const fn of fns.values())
    if ([...calls(fn.body)].some((c) => c.name === "install_keyword_root")) run(fn, new Map(), 0);
  return [...paths].sort();
}

if (import.meta.main) {
  const [gitDir, tag] = process.argv.slice(2);
  if (!gitDir || !tag) {
    console.error("usage: bun scripts/keepalived-keywords.ts GIT_DIR TAG");
    process.exit(2);
  }
  const commit = git(gitDir, "rev-parse", `${tag}^{commit}`).trim();
  const paths = extract(gitDir, tag);
  process.stdout.write(
    `# keyword paths installed by keepalived's parsers at ${tag} (commit ${commit})\n` +
      "# source: https://github.com/acassen/keepalived, extracted by scripts/keepalived-keywords.ts\n" +
      `# ${paths.length} paths\n${paths.join("\n")}\n`,
  );
}
