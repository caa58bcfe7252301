/**
 * `keel switchover INSTANCE --to NODE (-F fleet.toml | NAME=TARGET...)`: move the VIP to a
 * chosen backup. keel knows the nodes only through the control protocol (src/fleet), so
 * the move is a sequence of the single-node requests:
 *
 *  1. every node answers its status (one that does not: refused, nothing changed);
 *     exactly one is MASTER of INSTANCE and NODE is a BACKUP of it;
 *  2. every other backup gets a `standby` hold: it stays out of the election;
 *  3. the master resigns (`switchover`: priority 0), so NODE, the only candidate, takes
 *     over after its Skew_Time;
 *  4. once NODE reports MASTER the others' `standby` becomes a `switchover` hold: they do
 *     not preempt NODE (its priority may be the lowest), but take over if it dies.
 *     If NODE is not MASTER within the give-up bound, the standbys are released and the
 *     old master takes back over after its Master_Down_Interval.
 *
 * `keel switchover --release INSTANCE` with the same nodes releases every node's hold.
 */
import type { Io } from "../cli";
import type { Request, Status } from "../control/protocol";
import { readFleetFile } from "../fleet/file";
import { NodeClient } from "../fleet/request";
import { parseTarget, type Target, targetName } from "../fleet/target";

const REQUEST_MS = 5000;
/** NODE's takeover is Skew_Time (< 1 advert interval) after the resign; this is only when to give up */
const TAKEOVER_GIVE_UP_MS = 20_000;

export function fleetNodes(
  file: string | undefined,
  operands: string[],
  io: Io,
): { name: string; target: Target }[] | undefined {
  const nodes: { name: string; target: Target }[] = [];
  if (file !== undefined) {
    const f = readFleetFile(file);
    if (!f.ok) {
      for (const e of f.errors) io.err(`keel switchover: ${e}\n`);
      return undefined;
    }
    nodes.push(...f.nodes.map((n) => ({ name: n.name, target: n.parsed })));
  }
  for (const op of operands) {
    const named = /^([A-Za-z0-9_.-]+)=(.*)$/s.exec(op);
    const t = parseTarget(named ? (named[2] as string) : op);
    if (!t.ok) {
      io.err(`keel switchover: ${t.error}\n`);
      return undefined;
    }
    nodes.push({ name: named ? (named[1] as string) : targetName(t.value), target: t.value });
  }
  return nodes;
}

export async function switchoverTo(
  instance: string,
  to: string | undefined,
  nodes: { name: string; target: Target }[],
  reason: { reason?: string },
  io: Io,
): Promise<number> {
  const fail = (m: string) => {
    io.err(`keel switchover: ${m}\n`);
    return 1;
  };
  if (to !== undefined && !nodes.some((n) => n.name === to))
    return fail(`--to ${to}: no such node (${nodes.map((n) => n.name).join(", ")})`);
  const clients: NodeClient[] = [];
  try {
    for (const n of nodes) {
      try {
        clients.push(await NodeClient.open(n.name, n.target));
      } catch (e) {
        return fail(`${n.name}: ${(e as Error).message}; nothing changed`);
      }
    }
    const states = new Map<NodeClient, string>();
    for (const c of clients) {
      const r = await c.request({ cmd: "status" }, REQUEST_MS);
      if (!r.ok) return fail(`${c.name}: ${r.error.message}; nothing changed`);
      const i = (r.result as Status).instances.find((x) => x.name === instance);
      if (i) states.set(c, i.state);
    }
    if (to === undefined) return await release(clients, states, instance, reason, io);
    const masters = clients.filter((c) => states.get(c) === "MASTER");
    const target = clients.find((c) => c.name === to) as NodeClient;
    if (masters.length !== 1)
      return fail(
        `${instance}: ${masters.length} masters (${masters.map((c) => c.name).join(", ") || "none"}); nothing changed`,
      );
    const master = masters[0] as NodeClient;
    if (master === target) return fail(`${to} is already MASTER of ${instance}`);
    if (states.get(target) !== "BACKUP")
      return fail(`${to} is ${states.get(target) ?? "not running"} ${instance}, not BACKUP; nothing changed`);
    const others = clients.filter((c) => c !== master && c !== target && states.get(c) === "BACKUP");
    const ask = async (c: NodeClient, r: Request) => {
      const reply = await c.request(r, REQUEST_MS);
      if (!reply.ok) throw new Error(`${c.name}: ${reply.error.message}`);
    };
    const note = { ...reason, reason: reason.reason ?? `switchover to ${to}` };
    try {
      for (const c of others) await ask(c, { cmd: "switchover", instance, hold: "standby", ...note });
      await ask(master, { cmd: "switchover", instance, ...note });
    } catch (e) {
      for (const c of others) await c.request({ cmd: "switchover", instance, release: true }, REQUEST_MS);
      return fail(`${(e as Error).message}; the standby holds were released`);
    }
    const end = performance.now() + TAKEOVER_GIVE_UP_MS;
    for (;;) {
      const r = await target.request({ cmd: "status" }, REQUEST_MS);
      if (r.ok && (r.result as Status).instances.find((x) => x.name === instance)?.state === "MASTER") break;
      if (performance.now() > end) {
        for (const c of others) await c.request({ cmd: "switchover", instance, release: true }, REQUEST_MS);
        return fail(
          `${to} did not become MASTER of ${instance}; the others were released (${master.name} takes back over if nobody does)`,
        );
      }
      await Bun.sleep(100);
    }
    for (const c of others) await c.request({ cmd: "switchover", instance, hold: "switchover", ...note }, REQUEST_MS);
    const held = [master, ...others].map((c) => c.name).join(", ");
    io.out(
      `${instance}: ${to} is MASTER (from ${master.name}); ${held} hold BACKUP until 'keel switchover --release ${instance}' with the same nodes\n`,
    );
    return 0;
  } finally {
    for (const c of clients) c.close();
  }
}

async function release(
  clients: NodeClient[],
  states: Map<NodeClient, string>,
  instance: string,
  reason: { reason?: string },
  io: Io,
): Promise<number> {
  const released: string[] = [];
  for (const c of clients) {
    if (!states.has(c)) continue;
    const r = await c.request({ cmd: "switchover", instance, release: true, ...reason }, REQUEST_MS);
    if (r.ok) released.push(c.name);
    else if (r.error.code !== "not-held") io.err(`keel switchover: ${c.name}: ${r.error.message}\n`);
  }
  io.out(`${instance}: switchover holds released on ${released.join(", ") || "no node"}\n`);
  return 0;
}
