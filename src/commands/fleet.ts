/**
 * `keel fleet [--json [--watch]] [-F fleet.toml] [NAME=]TARGET...`: several nodes' status at
 * once (src/fleet), a row per virtual router with every node's view, and the flags raised
 * across nodes. Exit 0 when no flag is raised, 2 when one is (a node unreachable
 * included), 1 for bad arguments: a monitoring check (Nagios' CRITICAL is 2).
 * On a terminal without --json: the live fleet screen (tui/fleet) until the user quits.
 */
import { optValue, parseSubcommand } from "../args";
import type { OptionSpec } from "../base/getopt";
import type { Io } from "../cli";
import type { Event } from "../control/protocol";
import { targetClient } from "../fleet/client";
import { readFleetFile } from "../fleet/file";
import { type Snapshot, snapshot } from "../fleet/flags";
import { DEFAULT_LINK, NodeLink } from "../fleet/link";
import { parseTarget, targetName } from "../fleet/target";
import { formatFleet } from "../fleet/text";

export const EXIT_FLAGGED = 2;

const USAGE = `usage: keel fleet [--json [--watch]] [-F FILE] [--timeout SECONDS] [NAME=]TARGET...
  TARGET: unix:PATH | ssh://[user@]host[:port][?socket=PATH] | exec:COMMAND
  -F, --file FILE   the nodes of a fleet.toml ([nodes] NAME = "TARGET")
  --json            the snapshot as JSON; --watch: one JSON line per change, until interrupted
                    (without --json: a live screen on a terminal, the text table otherwise)
  --timeout S       how long a node may take to answer (default 5)
exit status: 0 no flag, 2 a flag is raised (split-brain, no-master, vip-mismatch,
  config-drift, advert-int-mismatch, version-mismatch, auth-mismatch, unreachable), 1 usage
`;

const OPTIONS: OptionSpec[] = [
  { long: "json", arg: "none" },
  { long: "watch", short: "w", arg: "none" },
  { long: "file", short: "F", arg: "required" },
  { long: "timeout", arg: "required" },
  { long: "help", short: "h", arg: "none" },
];

export async function fleet(argv: string[], io: Io): Promise<number> {
  const args = parseSubcommand("fleet", argv, OPTIONS, Number.MAX_SAFE_INTEGER);
  if (!args.ok) {
    io.err(`${args.message}\n${USAGE}`);
    return 1;
  }
  if (args.opts.has("help")) {
    io.out(USAGE);
    return 0;
  }
  const nodes: { name: string; target: string; parsed: import("../fleet/target").Target }[] = [];
  const file = optValue(args.opts.get("file"));
  if (file !== undefined) {
    const f = readFleetFile(file);
    if (!f.ok) {
      for (const e of f.errors) io.err(`keel fleet: ${e}\n`);
      return 1;
    }
    nodes.push(...f.nodes);
  }
  for (const op of args.operands) {
    const named = /^([A-Za-z0-9_.-]+)=(.*)$/s.exec(op);
    const text = named ? named[2]! : op;
    const t = parseTarget(text);
    if (!t.ok) {
      io.err(`keel fleet: ${t.error}\n${USAGE}`);
      return 1;
    }
    nodes.push({ name: named ? named[1]! : targetName(t.value), target: text, parsed: t.value });
  }
  if (nodes.length === 0) {
    io.err(`keel fleet: no node: name targets or -F fleet.toml\n${USAGE}`);
    return 1;
  }
  const dup = nodes.find((n, i) => nodes.findIndex((m) => m.name === n.name) !== i);
  if (dup) {
    io.err(`keel fleet: two nodes named '${dup.name}': name them (NAME=TARGET)\n`);
    return 1;
  }
  const timeoutArg = optValue(args.opts.get("timeout"));
  const timeoutS = timeoutArg === undefined ? DEFAULT_LINK.timeoutMs / 1000 : Number(timeoutArg);
  if (!(timeoutS > 0)) {
    io.err(`keel fleet: --timeout must be a number of seconds above 0, not '${timeoutArg}'\n`);
    return 1;
  }
  const json = args.opts.has("json");
  const watch = args.opts.has("watch");
  if (watch && !json) {
    io.err("keel fleet: --watch needs --json (on a terminal, keel fleet without --json is live)\n");
    return 1;
  }
  const opts = { ...DEFAULT_LINK, timeoutMs: timeoutS * 1000 };
  if (!json && process.stdout.isTTY && process.stdin.isTTY) return fleetScreen(nodes, opts);
  let onChange = () => {};
  const links = nodes.map((n) => new NodeLink(n.name, n.target, n.parsed, () => onChange(), opts));
  const current = () => snapshot(links.map((l) => l.view));
  for (const l of links) l.start();
  if (!watch) {
    await new Promise<void>((resolve) => {
      // a transport that neither answers nor fails (a stuck ssh): the links' own timeout
      // covers requests; this covers opening
      const guard = setTimeout(resolve, opts.timeoutMs + 1000);
      const done = () => {
        if (!links.every((l) => l.settled)) return;
        clearTimeout(guard);
        resolve();
      };
      onChange = done;
      done();
    });
    for (const l of links) {
      if (!l.settled) l.view.error = `no answer in ${timeoutS} s`;
      l.stop();
    }
    const s = current();
    io.out(json ? `${JSON.stringify({ at: Date.now(), ...s }, null, 2)}\n` : formatFleet(s));
    return s.flags.length ? EXIT_FLAGGED : 0;
  }
  return streamChanges(
    links,
    current,
    (f) => {
      onChange = f;
    },
    io,
  );
}

/** --watch: a JSON line whenever the snapshot changes (a first one once every node has answered or failed). */
function streamChanges(
  links: NodeLink[],
  current: () => Snapshot,
  onChange: (f: () => void) => void,
  io: Io,
): Promise<number> {
  return new Promise((resolve) => {
    let last = "";
    let flagged = false;
    const print = () => {
      if (!links.every((l) => l.settled)) return;
      const s = current();
      const text = JSON.stringify(s);
      if (text === last) return;
      last = text;
      flagged = s.flags.length > 0;
      io.out(`${JSON.stringify({ at: Date.now(), ...s })}\n`);
    };
    onChange(print);
    print();
    const stop = () => {
      for (const l of links) l.stop();
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve(flagged ? EXIT_FLAGGED : 0);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

type Node = { name: string; target: string; parsed: import("../fleet/target").Target };

/** The live screen: the links feed it views and events; Enter opens a node over a channel of its own. */
async function fleetScreen(nodes: Node[], opts: typeof DEFAULT_LINK): Promise<number> {
  const { runFleetTui } = await import("../../tui/index.ts");
  const byName = new Map(nodes.map((n) => [n.name, n]));
  return runFleetTui({
    follow(changed, event) {
      const links = nodes.map(
        (n) => new NodeLink(n.name, n.target, n.parsed, changed, opts, (e: Event) => event(n.name, e)),
      );
      for (const l of links) l.start();
      return {
        views: () => links.map((l) => l.view),
        stop: () => {
          for (const l of links) l.stop();
        },
      };
    },
    connect: (name) => targetClient(byName.get(name)!.parsed),
    targetOf: (name) => byName.get(name)?.target ?? name,
    timeoutMs: opts.timeoutMs,
  });
}
