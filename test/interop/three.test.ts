/**
 * Three routers on one segment — keel (150), keepalived (120), keel (100), VRRPv3 with a
 * 0.5 s advert interval — and the master crashed over and over (20 rounds; every other
 * round the new master is crashed too, so keepalived is killed as master as well). After
 * each round the crashed routers come back, and exactly one router holds the VIP and
 * calls itself MASTER.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Lab, ensureKeel, instance } from "../netns/harness";
import { GLOBAL, type Kind, type Router, crash, holders, start } from "./routers";

const VIP = "10.99.0.100";
const PLAN: { host: string; kind: Kind; priority: number }[] = [
  { host: "h1", kind: "keel", priority: 150 },
  { host: "h2", kind: "keepalived", priority: 120 },
  { host: "h3", kind: "keel", priority: 100 },
];

let lab: Lab;
beforeAll(() => {
  ensureKeel();
  lab = Lab.create(PLAN.map((p) => p.host));
});
afterAll(() => lab?.destroy());

const routers = new Map<string, Router>();

function launch(host: string): Router {
  const p = PLAN.find((x) => x.host === host)!;
  const r = start(lab, p.kind, host, GLOBAL + instance({ priority: p.priority, version: 3, advertInt: 0.5 }));
  routers.set(host, r);
  return r;
}

/** The state each router's own log last reported. */
function selfStates(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [host, r] of routers) {
    const last = r.proc.lines.filter((l) => /\(VI_1\) Entering (MASTER|BACKUP|FAULT) STATE/.test(l.text)).at(-1);
    out[host] = last?.text.match(/Entering (\w+) STATE/)?.[1] ?? "none";
  }
  return out;
}

async function until(pred: () => boolean, ms: number, what: string): Promise<void> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    if (pred()) return;
    await Bun.sleep(50);
  }
  throw new Error(
    `${what} not reached within ${ms} ms: holders ${JSON.stringify(holders(lab, VIP))}, states ${JSON.stringify(selfStates())}`,
  );
}

const settled = () => {
  const h = holders(lab, VIP);
  const s = selfStates();
  return (
    h.length === 1 && h[0] === "h1" && Object.values(s).filter((x) => x === "MASTER").length === 1 && s.h1 === "MASTER"
  );
};

test("20 rounds of crashing the master: after each, exactly one master holds the VIP", async () => {
  // lowest first, so every start is a preemption too
  for (const p of [...PLAN].reverse()) {
    launch(p.host);
    await routers.get(p.host)!.proc.waitFor(/\(VI_1\) Entering (BACKUP|MASTER) STATE/, 10_000);
  }
  await until(settled, 8_000, "the first election");
  const killedAsMaster: Record<Kind, number> = { keel: 0, keepalived: 0 };
  for (let round = 0; round < 20; round++) {
    const crashed: string[] = [];
    const crashMaster = async () => {
      const [m] = holders(lab, VIP).filter((h) => !crashed.includes(h));
      if (!m) throw new Error(`round ${round}: no master to crash`);
      killedAsMaster[routers.get(m)!.kind]++;
      crash(routers.get(m)!);
      await routers.get(m)!.proc.exited;
      crashed.push(m);
      // a surviving router takes over (the crashed one keeps its stale VIP until restarted)
      await until(
        () => holders(lab, VIP).some((h) => !crashed.includes(h)),
        4_000,
        `round ${round}: takeover after ${m}`,
      );
    };
    await crashMaster();
    if (round % 2 === 1) await crashMaster();
    for (const h of crashed) launch(h);
    await until(settled, 10_000, `round ${round}: settling`);
    expect(holders(lab, VIP)).toEqual(["h1"]);
  }
  console.log(`masters crashed: keel ${killedAsMaster.keel}, keepalived ${killedAsMaster.keepalived}`);
  expect(killedAsMaster.keepalived).toBeGreaterThanOrEqual(10);
}, 300_000);
