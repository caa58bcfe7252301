/**
 * The operations on a running daemon (README "Operations"), each one control request
 * (src/control/protocol.ts) whose event names who asked (the socket's peer) and why:
 *
 *   keel switchover INSTANCE [--release] [--reason TEXT]
 *   keel maintenance on|off [INSTANCE...|--all] [--reason TEXT]
 *   keel rs drain|enable VS RS [--reason TEXT]
 *   keel rs weight VS RS N [--reason TEXT]
 *
 * Exit 0 when the daemon did it, 1 otherwise (usage, no daemon, refused: the message says why).
 */
import { optValue, readSubcommand } from "../args";
import type { OptionSpec } from "../base/getopt";
import type { Io } from "../cli";
import { connect } from "../control/client";
import { DEFAULT_CONTROL_SOCKET, type Request } from "../control/protocol";
import { UnsafeSocketError } from "../runtime/socket-path";
import { fleetNodes, switchoverTo } from "./switchover-to";

const COMMON: OptionSpec[] = [
  { long: "reason", short: "r", arg: "required" },
  { long: "control-socket", arg: "required" },
  { long: "help", short: "h", arg: "none" },
];

const SWITCHOVER_USAGE = `usage: keel switchover INSTANCE [--reason TEXT] [--control-socket PATH]
       keel switchover --release INSTANCE [--reason TEXT]
       keel switchover INSTANCE --to NODE (-F fleet.toml | NAME=TARGET...)   move it to NODE
       keel switchover --release INSTANCE (-F fleet.toml | NAME=TARGET...)
  On the master: resign now (a priority-0 advert, so a backup takes over after Skew_Time)
  and do not preempt back until --release. If the new master goes silent, this node still
  takes over. On a backup it is refused: run it on the master.
  --to NODE (over keel fleet's targets): the other backups stand by while the master
  resigns, so NODE takes over; then none of them preempts NODE until --release.
`;

const MAINTENANCE_USAGE = `usage: keel maintenance on|off (INSTANCE...|--all) [--reason TEXT] [--control-socket PATH]
  on: this node stays BACKUP for those instances (a master resigns with priority 0), even
  with no master on the segment, until off. Kept in a state file beside the control socket:
  survives reloads and restarts (not a reboot).
`;

const RS_USAGE = `usage: keel rs drain|enable VS RS [--reason TEXT] [--control-socket PATH]
       keel rs weight VS RS N [--reason TEXT]
  VS and RS as keel status names them: 10.0.0.1:80 (or 10.0.0.1:80/TCP), fwmark 1, 192.168.0.2:8080.
  drain: IPVS weight 0 (open connections go on, no new ones); weight: that weight;
  enable: back to the checkers' weight. Kept until enable or the next reload.
`;

export async function switchover(argv: string[], io: Io): Promise<number> {
  const opts: OptionSpec[] = [
    ...COMMON,
    { long: "release", arg: "none" },
    { long: "to", arg: "required" },
    { long: "file", short: "F", arg: "required" },
  ];
  const args = readSubcommand("switchover", argv, opts, SWITCHOVER_USAGE, io, Number.MAX_SAFE_INTEGER);
  if (typeof args === "number") return args;
  const [instance, ...targets] = args.operands;
  if (instance === undefined) return usage(io, "switchover: which instance?", SWITCHOVER_USAGE);
  const release = args.opts.has("release");
  const to = optValue(args.opts.get("to"));
  const file = optValue(args.opts.get("file"));
  if (to !== undefined || file !== undefined || targets.length > 0) {
    if ((to !== undefined) === release)
      return usage(io, "switchover: with nodes, --to NODE or --release (one of them)", SWITCHOVER_USAGE);
    const nodes = fleetNodes(file, targets, io);
    if (!nodes) return 1;
    if (nodes.length === 0)
      return usage(io, "switchover: --to needs the nodes (-F fleet.toml or NAME=TARGET)", SWITCHOVER_USAGE);
    return switchoverTo(instance, to, nodes, reason(args.opts), io);
  }
  const r: Request = { cmd: "switchover", instance, ...reason(args.opts), ...(release ? { release: true } : {}) };
  return send("switchover", r, args.opts, io, () =>
    release
      ? `${instance}: switchover hold released; this node may preempt again\n`
      : `${instance}: resigned (priority 0 sent); holding BACKUP until 'keel switchover --release ${instance}'\n`,
  );
}

export async function maintenance(argv: string[], io: Io): Promise<number> {
  const opts = [...COMMON, { long: "all", arg: "none" } as OptionSpec];
  const args = readSubcommand("maintenance", argv, opts, MAINTENANCE_USAGE, io, Number.MAX_SAFE_INTEGER);
  if (typeof args === "number") return args;
  const [mode, ...names] = args.operands;
  if (mode !== "on" && mode !== "off") return usage(io, "maintenance: on or off?", MAINTENANCE_USAGE);
  const all = args.opts.has("all");
  if (all === names.length > 0) return usage(io, "maintenance: name instances, or --all", MAINTENANCE_USAGE);
  const r: Request = {
    cmd: "maintenance",
    on: mode === "on",
    ...(all ? { all: true } : { instances: names }),
    ...reason(args.opts),
  };
  const what = all ? "all instances" : names.join(", ");
  return send("maintenance", r, args.opts, io, () =>
    mode === "on" ? `maintenance on for ${what}: held BACKUP\n` : `maintenance off for ${what}\n`,
  );
}

export async function rs(argv: string[], io: Io): Promise<number> {
  const args = readSubcommand("rs", argv, COMMON, RS_USAGE, io, 4);
  if (typeof args === "number") return args;
  const [action, vs, server, n] = args.operands;
  if (action !== "drain" && action !== "enable" && action !== "weight")
    return usage(io, "rs: drain, enable or weight?", RS_USAGE);
  if (vs === undefined || server === undefined) return usage(io, `rs ${action}: which VS and RS?`, RS_USAGE);
  const r: Request = { cmd: "rs", action, virtualServer: vs, realServer: server, ...reason(args.opts) };
  if (action === "weight") {
    if (n === undefined || !/^\d+$/.test(n) || Number(n) > 65535)
      return usage(io, `rs weight: the weight is an integer 0..65535, not ${n ?? "missing"}`, RS_USAGE);
    r.weight = Number(n);
  } else if (n !== undefined) return usage(io, `rs ${action}: unexpected '${n}'`, RS_USAGE);
  return send("rs", r, args.opts, io, (res) => {
    const x = res as { virtualServer?: string; realServer?: string };
    const what = action === "weight" ? `weight ${r.weight}` : action === "drain" ? "drained (weight 0)" : "enabled";
    return `${x.realServer ?? server} of ${x.virtualServer ?? vs}: ${what}\n`;
  });
}

function reason(opts: Map<string, string | true>): { reason?: string } {
  const v = optValue(opts.get("reason"));
  return v === undefined ? {} : { reason: v };
}

function usage(io: Io, message: string, text: string): number {
  io.err(`keel ${message}\n${text}`);
  return 1;
}

async function send(
  name: string,
  r: Request,
  opts: Map<string, string | true>,
  io: Io,
  done: (result: unknown) => string,
): Promise<number> {
  const path = optValue(opts.get("control-socket")) ?? DEFAULT_CONTROL_SOCKET;
  let client: Awaited<ReturnType<typeof connect>>;
  try {
    client = await connect(path);
  } catch (e) {
    if (e instanceof UnsafeSocketError) io.err(`keel ${name}: ${e.message}\n`);
    else io.err(`keel ${name}: no daemon on ${path}: ${(e as Error).message}\n`);
    return 1;
  }
  const reply = await client.request(r);
  client.close();
  if (!reply.ok) {
    io.err(`keel ${name}: ${reply.error.message}\n`);
    return 1;
  }
  io.out(done(reply.result));
  return 0;
}
