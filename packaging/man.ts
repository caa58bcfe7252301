// The man pages from their roff sources in packaging/man/*.in: keel(8)'s OPTIONS section
// is rendered from src/args.ts's OPTIONS table (the table `keel --help` prints), so the
// page lists exactly the options the binary takes, with the refused ones marked.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { OPTIONS, type OptSpec } from "../src/args";

const manDir = join(import.meta.dir, "man");

/** Text as roff reads it literally: backslashes, hyphens (as minus signs), leading dots. */
export function roffText(s: string): string {
  return s
    .replaceAll("\\", "\\e")
    .replaceAll("-", "\\-")
    .replace(/^([.'])/, "\\&$1");
}

function optionEntry(o: OptSpec): string {
  const arg = o.kind === "required" ? "=\\fIARG\\fR" : o.kind === "optional" ? "[=\\fIARG\\fR]" : "";
  const flags = `${o.short ? `\\fB\\-${o.short}\\fR, ` : ""}\\fB\\-\\-${roffText(o.long).replaceAll("\\-\\-", "")}\\fR${arg}`;
  let help = roffText(o.help);
  if (o.compat.status === "refused") help += ` Not supported by keel: ${roffText(o.compat.note ?? "refused")}.`;
  return `.TP\n${flags}\n${help}`;
}

/** The man page `name` (e.g. "keel.8"), ready for gzip. */
export function renderMan(name: string, version: string, date: string): string {
  const src = readFileSync(join(manDir, `${name}.in`), "utf8");
  return src
    .replaceAll("@VERSION@", version)
    .replaceAll("@DATE@", date)
    .replace("@OPTIONS@", OPTIONS.map(optionEntry).join("\n"));
}

export const MAN_PAGES = [
  { name: "keel.8", section: "8" },
  { name: "keel.toml.5", section: "5" },
];
