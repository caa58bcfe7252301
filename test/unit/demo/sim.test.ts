// The simulated demo end to end, in real time: three VrrpDrivers on SimKernels, each
// with its own control socket, driven through the DemoController as the TUI drives it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { connect } from "../../../src/control/client";
import type { InstanceStatus, Status } from "../../../src/control/protocol";
import { pendingCleanups } from "../../../src/demo/cleanup";
import { masterDownMs } from "../../../src/demo/config";
import { type DemoController, startDemo } from "../../../src/demo/index";

async function status(socket: string): Promise<Status | undefined> {
  if (!existsSync(socket)) return undefined;
  try {
    const c = await connect(socket);
    try {
      const r = await c.request({ cmd: "status" });
      return r.ok ? (r.result as Status) : undefined;
    } finally {
      c.close();
    }
  } catch {
    return undefined;
  }
}

async function instanceOf(demo: DemoController, router: string): Promise<InstanceStatus | undefined> {
  const r = demo.routers.find((x) => x.name === router);
  if (!r) throw new Error(`no router ${router}`);
  return (await status(r.socketPath))?.instances[0];
}

async function states(demo: DemoController): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const r of demo.routers) out[r.name] = (await instanceOf(demo, r.name))?.state ?? "DOWN";
  return out;
}

/** Poll until `want` (a subset of router → state) holds; returns the ms it took. */
async function waitStates(demo: DemoController, want: Record<string, string>, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  let last: Record<string, string> = {};
  while (performance.now() - t0 < timeoutMs) {
    last = await states(demo);
    if (Object.entries(want).every(([k, v]) => last[k] === v)) return performance.now() - t0;
    await Bun.sleep(50);
  }
  throw new Error(`wanted ${JSON.stringify(want)} within ${timeoutMs} ms; have ${JSON.stringify(last)}`);
}

describe("simulated demo", () => {
  let demo: DemoController;
  const lines: string[] = [];

  beforeAll(async () => {
    demo = await startDemo({ root: false, log: (l) => lines.push(l) });
  });
  afterAll(async () => {
    await demo?.close();
  });

  test("is simulated and says the checkers are not", () => {
    expect(demo.mode).toBe("simulated");
    expect(demo.banner).toContain("simulated network");
    expect(demo.banner).toContain("not simulated");
    expect(demo.routers.map((r) => r.name)).toEqual(["r1", "r2", "r3"]);
    for (const r of demo.routers) expect(existsSync(r.socketPath)).toBe(true);
  });

  test("the control socket speaks the daemon's protocol", async () => {
    const c = await connect(demo.routers[0]?.socketPath ?? "");
    const hello = await c.request({ cmd: "hello" });
    expect(hello).toEqual({ ok: true, result: { protocol: 1 } });
    const st = await c.request({ cmd: "status" });
    expect(st.ok).toBe(true);
    const s = (st as { result: Status }).result;
    expect(s.instances[0]?.name).toBe("VI_DEMO");
    expect(s.instances[0]?.vips).toEqual([`${demo.vip}/24`]);
    expect(s.lvs?.available).toBe(false);
    c.close();
  });

  test("r1 (150) becomes MASTER, r2 and r3 BACKUP", async () => {
    await waitStates(demo, { r1: "MASTER", r2: "BACKUP", r3: "BACKUP" }, 8000);
    const r2 = await instanceOf(demo, "r2");
    expect(r2?.master).toBe((await instanceOf(demo, "r1"))?.master);
    expect(r2?.advertsReceived).toBeGreaterThan(0);
    expect(lines.some((l) => /^r1: .*Entering MASTER STATE/.test(l))).toBe(true);
  });

  test("a subscriber sees the transitions of a failing check", async () => {
    const c = await connect(demo.routers[0]?.socketPath ?? "");
    const events: { event: string; to?: unknown }[] = [];
    c.onEvent((e) => events.push(e));
    expect((await c.request({ cmd: "subscribe" })).ok).toBe(true);
    await demo.toggleCheck("r1");
    expect(demo.routers[0]?.checkFailing).toBe(true);
    // r1 drops to 150 − 60 = 90 < r2's 100: r2 preempts after its Master_Down_Interval
    await waitStates(demo, { r1: "BACKUP", r2: "MASTER" }, 1000 + masterDownMs(100) + 1500);
    expect((await instanceOf(demo, "r1"))?.effectivePriority).toBe(90);
    expect(events.some((e) => e.event === "track")).toBe(true);
    expect(events.some((e) => e.event === "priority" && e.to === 90)).toBe(true);
    expect(events.some((e) => e.event === "transition" && e.to === "BACKUP")).toBe(true);
    c.close();
    await demo.toggleCheck("r1");
    await waitStates(demo, { r1: "MASTER", r2: "BACKUP" }, 1000 + masterDownMs(150) + 1500);
    expect((await instanceOf(demo, "r1"))?.effectivePriority).toBe(150);
  }, 20_000);

  test("killing r1: r2 MASTER within Master_Down_Interval + 1 s", async () => {
    await demo.toggleRouter("r1");
    expect(demo.routers[0]?.running).toBe(false);
    // like SIGKILL: the daemon is gone, its socket with it
    expect(await status(demo.routers[0]?.socketPath ?? "")).toBeUndefined();
    const took = await waitStates(demo, { r2: "MASTER", r3: "BACKUP" }, masterDownMs(100) + 1000);
    // no priority-0 advert: the takeover waits for the whole Master_Down_Interval
    expect(took).toBeGreaterThan(masterDownMs(100) - 1000 - 200);
  }, 10_000);

  test("cutting r2's link: r2 FAULT, r3 MASTER", async () => {
    await demo.toggleLink("r2");
    expect(demo.routers[1]?.linkUp).toBe(false);
    await waitStates(demo, { r2: "FAULT", r3: "MASTER" }, masterDownMs(50) + 1000);
  }, 10_000);

  test("restoring r2's link and starting r1 again: r1 MASTER again", async () => {
    await demo.toggleLink("r2");
    await demo.toggleRouter("r1");
    expect(demo.routers[0]?.running).toBe(true);
    await waitStates(demo, { r1: "MASTER", r2: "BACKUP", r3: "BACKUP" }, masterDownMs(150) + 3000);
  }, 10_000);

  test("close() removes the sockets and the directory, and is idempotent", async () => {
    const dir = demo.dir;
    const sockets = demo.routers.map((r) => r.socketPath);
    expect(existsSync(dir)).toBe(true);
    await demo.close();
    await demo.close();
    for (const s of sockets) expect(existsSync(s)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    expect(pendingCleanups()).toBe(0);
    await expect(demo.toggleRouter("r1")).rejects.toThrow(/closed/);
  });
});
