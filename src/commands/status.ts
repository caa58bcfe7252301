/**
 * `keel status [--json] [--control-socket PATH]`: the instances of a running daemon and,
 * when it has virtual servers, their real servers, as tables (or the protocol's JSON).
 * Exit 0 when the daemon answered, 1 otherwise.
 */
import { optValue, readSubcommand } from "../args";
import { diagWord } from "../bfd/packet";
import type { OptionSpec } from "../base/getopt";
import type { Io } from "../cli";
import { connect } from "../control/client";
import { DEFAULT_CONTROL_SOCKET, type Status } from "../control/protocol";
import { UnsafeSocketError } from "../runtime/socket-path";
import { textTable as table } from "../base/table";

const USAGE = "usage: keel status [--json] [--control-socket PATH]\n";

const OPTIONS: OptionSpec[] = [
  { long: "json", arg: "none" },
  { long: "control-socket", arg: "required" },
  { long: "help", short: "h", arg: "none" },
];

function ago(at: number | undefined): string {
  if (at === undefined) return "-";
  const s = Math.max(0, Math.round((Date.now() - at) / 1000));
  return s < 60 ? `${s}s ago` : s < 3600 ? `${Math.floor(s / 60)}m ago` : `${Math.floor(s / 3600)}h ago`;
}

export function formatStatus(st: Status): string {
  const head = ["INSTANCE", "IF", "VRID", "STATE", "PRIO", "MASTER", "VIPS", "LAST TRANSITION", "RX/TX", "ERR"];
  const rows = st.instances.map((i) => [
    i.name,
    i.interface ?? "-",
    String(i.vrid),
    i.holds?.length ? `${i.state} (${i.holds.map((h) => h.kind).join(", ")})` : i.state,
    i.priority === i.effectivePriority ? String(i.priority) : `${i.priority}→${i.effectivePriority}`,
    i.master ?? "-",
    i.vips.join(",") || "-",
    i.lastTransition ? `${i.lastTransition.to} (${i.lastTransition.reason}) ${ago(i.lastTransition.at)}` : "-",
    `${i.advertsReceived}/${i.advertsSent}`,
    String(i.errors),
  ]);
  let out = table(head, rows);
  const vss = st.virtualServers ?? [];
  if (vss.length) {
    const rsHead = ["VIRTUAL SERVER", "REAL SERVER", "STATE", "WEIGHT", "CONNS", "CHECKERS"];
    const rsRows = vss.flatMap((v) =>
      v.realServers.map((r) => [
        `${v.name}${v.quorumUp ? "" : " (quorum LOST)"}${v.suspended ? " (suspended)" : ""}`,
        r.address,
        `${r.up ? "up" : "DOWN"}${r.operator ? ` (${r.operator.action === "drain" ? "drained" : "weight set"})` : ""}`,
        `${r.weight}/${r.liveWeight ?? "-"}`,
        r.counters?.activeConns === undefined ? "-" : `${r.counters.activeConns}/${r.counters.inactiveConns ?? 0}`,
        r.checkers.map((c) => `${c.type} ${c.up ? "up" : "DOWN"}`).join(", ") || "-",
      ]),
    );
    out += `\n${table(rsHead, rsRows)}`;
    if (st.lvs && !st.lvs.available) out += `IPVS unavailable: ${st.lvs.error ?? "unknown"} (checks still run)\n`;
  }
  return out + bfdTable(st) + linkLines(st) + observedLines(st) + holdLines(st) + healthLines(st);
}

/** Interfaces whose link state is polled or debounced (linkbeat_interfaces, interface_up_down_delays). */
function linkLines(st: Status): string {
  const s = (us: number) => `${us / 1e6}s`;
  const lines = (st.trackers ?? [])
    .filter((t) => t.kind === "interface" && (t.linkbeat || t.delays))
    .map((t) => {
      const how = [t.linkbeat ? `link polled by ${t.linkbeat}` : "link from netlink"];
      if (t.delays) how.push(`down delay ${s(t.delays.down)}, up delay ${s(t.delays.up)}`);
      return `${t.name}: ${t.ok ? "up" : "DOWN"}, ${how.join("; ")}\n`;
    });
  return lines.length ? `\n${lines.join("")}` : "";
}

/** The BFD sessions: state, peer's, negotiated interval × multiplier = Detection Time. */
function bfdTable(st: Status): string {
  const bs = st.bfd ?? [];
  if (!bs.length) return "";
  const head = ["BFD", "NEIGHBOR", "STATE", "REMOTE", "DIAG", "TX", "DETECT", "SINCE", "RX/TX"];
  const ms = (us: number) => `${us / 1000}ms`;
  const rows = bs.map((b) => [
    b.name,
    b.neighbor + (b.multihop ? " (multihop)" : ""),
    b.state,
    b.remoteState,
    diagWord(b.diag),
    ms(b.txInterval),
    b.detectTime ? ms(b.detectTime) : "-",
    ago(b.since),
    `${b.rx}/${b.tx}`,
  ]);
  return `\n${table(head, rows)}`;
}

/** [wire] seen on the wire (src/vrrp/observe.ts): the dual master and foreign adverts, one line each. */
function observedLines(st: Status): string {
  let out = "";
  for (const i of st.instances) {
    const o = i.observed;
    const dm = o?.dualMaster;
    if (dm) {
      const end = !dm.over
        ? "still on"
        : `over ${ago(dm.over.at)}: ${
            dm.over.how === "peer-silent"
              ? `${dm.peer} fell silent, we stayed MASTER`
              : dm.over.how === "we-yielded"
                ? `we yielded to ${dm.over.winner}`
                : "we left MASTER"
          }`;
      out += `${i.name}: dual master with ${dm.peer} (priority ${dm.peerPriority}, ours ${dm.ourPriority}) ${ago(dm.since)}, ${end}; ${o.dualMasters} so far\n`;
    }
    for (const f of o?.foreign ?? []) {
      const free = f.freeVrids !== undefined ? `; VRIDs heard free: ${f.freeVrids || "none"}` : "";
      out += `${i.name}: foreign adverts from ${f.from}: ${f.reason} (${f.detail}), ${f.count} adverts, last ${ago(f.at)}${free}\n`;
    }
  }
  return out;
}

/** Operators' holds and rs overrides with who and why: what a colleague must see before touching the node. */
function holdLines(st: Status): string {
  let out = "";
  const whoWhy = (x: { by?: string; reason?: string }) =>
    `${x.by ? ` by ${x.by}` : ""}${x.reason ? `: "${x.reason}"` : ""}`;
  for (const i of st.instances)
    for (const h of i.holds ?? [])
      out += `${i.name}: ${h.kind === "maintenance" ? "maintenance on" : "switchover hold (keel switchover --release)"}${whoWhy(h)}\n`;
  for (const v of st.virtualServers ?? [])
    for (const r of v.realServers)
      if (r.operator)
        out += `${v.name} ${r.address}: ${r.operator.action === "drain" ? "drained" : `weight ${r.operator.weight}`} ${ago(r.operator.at)}${whoWhy(r.operator)} (keel rs enable)\n`;
  return out;
}

/** The last reload's outcome when it did not go cleanly, and internal errors: what an operator must see. */
function healthLines(st: Status): string {
  let out = "";
  const r = st.lastReload;
  if (r && !r.ok) {
    const what = r.applied ? "applied with errors" : "refused, the previous configuration runs";
    out += `last reload ${ago(r.at)}: ${what}\n${r.errors.map((e) => `  ${e}\n`).join("")}`;
  }
  const errs = Object.entries(st.internalErrors ?? {}).filter(([, n]) => n > 0);
  if (errs.length) out += `internal errors: ${errs.map(([part, n]) => `${part} ${n}`).join(", ")} (see the log)\n`;
  return out;
}

export async function status(argv: string[], io: Io): Promise<number> {
  const args = readSubcommand("status", argv, OPTIONS, USAGE, io);
  if (typeof args === "number") return args;
  const path = optValue(args.opts.get("control-socket")) ?? DEFAULT_CONTROL_SOCKET;
  const json = args.opts.has("json");
  let client: Awaited<ReturnType<typeof connect>>;
  try {
    client = await connect(path);
  } catch (e) {
    if (e instanceof UnsafeSocketError) io.err(`keel status: ${e.message}\n`);
    else io.err(`keel status: no daemon on ${path}: ${(e as Error).message}\n`);
    return 1;
  }
  const r = await client.request({ cmd: "status" });
  client.close();
  if (!r.ok) {
    io.err(`keel status: ${r.error.message}\n`);
    return 1;
  }
  const st = r.result as Status;
  io.out(json ? `${JSON.stringify(st, null, 2)}\n` : formatStatus(st));
  return 0;
}
