/**
 * `keel lint FILE... [-i ID]... [--json] [--format conf|toml] [--fail-on warning|error]`:
 * the pitfalls of a segment's configurations (src/lint), one configuration per host, or
 * one file read once per `-i` id (keepalived's config_id, for `@host` conditionals).
 *
 * Exit status, for CI: 0 when no finding reaches the --fail-on severity (default
 * warning), 1 when one does, 2 for a usage mistake or a file that cannot be read.
 */
import { accessSync, constants } from "node:fs";
import { basename } from "node:path";
import type { OptionSpec } from "../base/getopt";
import { getopt } from "../base/getopt";
import type { Io } from "../cli";
import { Origins } from "../config/origins";
import { type ConfigFormat, formatOf, loadConfig } from "../config/load";
import type { HostFacts } from "../config/model";
import { type Finding, type LintHost, lintHosts } from "../lint";

const USAGE =
  "usage: keel lint FILE... [-i ID]... [--json] [--format conf|toml] [--fail-on warning|error]\n" +
  "  one FILE per host of a segment, or one FILE read once per -i ID (@ID conditionals)\n" +
  "  exit 0: clean; 1: a finding at or above --fail-on (default warning); 2: usage or unreadable file\n" +
  "  every code and its fix: docs/lint.md\n";

const OPTIONS: OptionSpec[] = [
  { long: "config-id", short: "i", arg: "required" },
  { long: "json", arg: "none" },
  { long: "format", arg: "required" },
  { long: "fail-on", arg: "required" },
  { long: "help", short: "h", arg: "none" },
];

export const EXIT_LINT_CLEAN = 0;
export const EXIT_LINT_FINDINGS = 1;
export const EXIT_LINT_USAGE = 2;

/** The configurations are for other machines: whether an interface or user exists there is unknown. */
const elsewhere: HostFacts = { interfaceExists: () => undefined };

interface LintArgs {
  files: string[];
  ids: string[];
  json: boolean;
  format?: ConfigFormat;
  failOn: "warning" | "error";
}

function parse(argv: string[]): LintArgs | string | undefined {
  const a: LintArgs = { files: [], ids: [], json: false, failOn: "warning" };
  for (const it of getopt(argv, OPTIONS)) {
    if (it.kind === "error") return `keel lint: ${it.error.message}`;
    if (it.kind === "operand") a.files.push(it.value);
    else if (it.long === "help") return undefined;
    else if (it.long === "json") a.json = true;
    else if (it.long === "config-id") a.ids.push(it.value as string);
    else if (it.long === "format") {
      if (it.value !== "conf" && it.value !== "toml")
        return `keel lint: --format must be conf or toml, not '${it.value}'`;
      a.format = it.value;
    } else if (it.long === "fail-on") {
      if (it.value !== "warning" && it.value !== "error")
        return `keel lint: --fail-on must be warning or error, not '${it.value}'`;
      a.failOn = it.value;
    }
  }
  if (a.files.length === 0) return "keel lint: no configuration file given";
  return a;
}

export function lint(argv: string[], io: Io): number {
  const args = parse(argv);
  if (args === undefined) {
    io.out(USAGE);
    return EXIT_LINT_CLEAN;
  }
  if (typeof args === "string") {
    io.err(`${args}\n${USAGE}`);
    return EXIT_LINT_USAGE;
  }
  for (const f of args.files) {
    try {
      accessSync(f, constants.R_OK);
    } catch (e) {
      io.err(`keel lint: cannot read ${f}: ${(e as NodeJS.ErrnoException).code ?? e}\n`);
      return EXIT_LINT_USAGE;
    }
  }
  const hosts = loadHosts(args);
  const findings = lintHosts(hosts);
  if (args.json) io.out(`${JSON.stringify(findings.map(jsonFinding), null, 2)}\n`);
  else io.out(textReport(findings, hosts, args.ids.length > 0));
  const fails = findings.some((f) => f.severity === "error" || args.failOn === "warning");
  return fails ? EXIT_LINT_FINDINGS : EXIT_LINT_CLEAN;
}

function loadHosts(args: LintArgs): LintHost[] {
  const hosts: LintHost[] = [];
  const ids = args.ids.length > 0 ? args.ids : [undefined];
  for (const file of args.files)
    for (const id of ids) {
      const format = formatOf(file, args.format);
      const r = loadConfig(file, { format, configId: id, host: elsewhere });
      const name =
        id === undefined
          ? hostName(file, args.files)
          : args.files.length === 1
            ? id
            : `${hostName(file, args.files)}@${id}`;
      // a TOML file's origins point into the keepalived.conf it is read as: name the file only
      const origins = format === "toml" ? new Origins() : r.origins;
      hosts.push({ name, file, config: r.config, origins, diagnostics: r.diagnostics });
    }
  return hosts;
}

/** A file's name without its extension ("lb1" for /etc/lb1.conf), or the path when two files share it. */
function hostName(file: string, files: string[]): string {
  const short = (f: string) => basename(f).replace(/\.(conf|toml)$/, "");
  return files.filter((f) => short(f) === short(file)).length > 1 ? file : short(file);
}

/** Every field present (null when a finding is not about one host or instance). */
function jsonFinding(f: Finding) {
  return {
    code: f.code,
    severity: f.severity,
    file: f.file,
    line: f.line,
    col: f.col,
    host: f.host ?? null,
    instance: f.instance ?? null,
    message: f.message,
    fix: f.fix ?? null,
  };
}

function textReport(findings: Finding[], hosts: LintHost[], byId: boolean): string {
  let s = "";
  for (const f of findings) {
    const who = byId && f.host !== undefined ? `${f.host}: ` : "";
    s += `${f.file}:${f.line}:${f.col}: ${f.severity}[${f.code}]: ${who}${f.message}\n`;
    if (f.fix !== undefined) s += `  fix: ${f.fix}; see docs/lint.md#${f.code}\n`;
  }
  const e = findings.filter((f) => f.severity === "error").length;
  const w = findings.length - e;
  const n = hosts.length;
  return `${s}keel lint: ${n} host${n === 1 ? "" : "s"}, ${e} error${e === 1 ? "" : "s"}, ${w} warning${w === 1 ? "" : "s"}\n`;
}
