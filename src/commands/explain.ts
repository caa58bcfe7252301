/**
 * `keel explain [INSTANCE] [--json] [--control-socket PATH]`: why each instance of a
 * running daemon is in its state, what would change it, and its last decisions, in words
 * with the numbers (the control protocol's `explain`; src/vrrp/explain.ts writes the words).
 * Exit 0 when the daemon answered, 1 otherwise (no daemon, an unknown instance).
 */
import { optValue, readSubcommand } from "../args";
import type { OptionSpec } from "../base/getopt";
import type { Io } from "../cli";
import { connect } from "../control/client";
import { DEFAULT_CONTROL_SOCKET, type Explanation, parseExplanations } from "../control/protocol";
import { UnsafeSocketError } from "../runtime/socket-path";

const USAGE = "usage: keel explain [INSTANCE] [--json] [--control-socket PATH]\n";

const OPTIONS: OptionSpec[] = [
  { long: "json", arg: "none" },
  { long: "control-socket", arg: "required" },
  { long: "help", short: "h", arg: "none" },
];

function clock(epochMs: number): string {
  const d = new Date(epochMs);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":");
}

/** One instance: the sentence, what would change it, then its decisions (oldest first). */
export function formatExplanation(e: Explanation): string {
  const lines = [`${e.instance}: ${e.sentence}`];
  if (e.wouldChange.length > 0) {
    lines.push("  what would change it:");
    for (const w of e.wouldChange) lines.push(`    - ${w}`);
  }
  if (e.seen && e.seen.length > 0) {
    lines.push("  seen on the wire:");
    for (const w of e.seen) lines.push(`    - ${w}`);
  }
  if (e.decisions.length > 0) {
    lines.push("  decisions:");
    for (const d of e.decisions)
      lines.push(`    ${clock(d.at)}  ${d.from} -> ${d.to} (${d.reason}): ${d.words} [${d.rule}]`);
  }
  return `${lines.join("\n")}\n`;
}

export async function explainCommand(argv: string[], io: Io): Promise<number> {
  const args = readSubcommand("explain", argv, OPTIONS, USAGE, io, 1);
  if (typeof args === "number") return args;
  const instance = args.operands[0];
  const path = optValue(args.opts.get("control-socket")) ?? DEFAULT_CONTROL_SOCKET;
  let client: Awaited<ReturnType<typeof connect>>;
  try {
    client = await connect(path);
  } catch (e) {
    if (e instanceof UnsafeSocketError) io.err(`keel explain: ${e.message}\n`);
    else io.err(`keel explain: no daemon on ${path}: ${(e as Error).message}\n`);
    return 1;
  }
  const r = await client.request(instance === undefined ? { cmd: "explain" } : { cmd: "explain", instance });
  client.close();
  if (!r.ok) {
    io.err(`keel explain: ${r.error.message}\n`);
    return 1;
  }
  const got = parseExplanations(r.result);
  if (!got.ok) {
    io.err(`keel explain: the daemon's reply: ${got.error.message}\n`);
    return 1;
  }
  io.out(json(got.value, args.opts.has("json")));
  return 0;
}

function json(list: Explanation[], asJson: boolean): string {
  if (asJson) return `${JSON.stringify(list, null, 2)}\n`;
  return list.map(formatExplanation).join("\n");
}
