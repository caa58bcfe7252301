// `keel demo` as root: real keel daemons (dist/keel) in namespaces, driven through the
// DemoController as the TUI drives it; close() leaves no namespace and no process.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { connect } from "../../src/control/client";
import type { Status } from "../../src/control/protocol";
import { masterDownMs } from "../../src/demo/config";
import { type DemoController, startDemo } from "../../src/demo/index";
import { listNamespaces, sweepStale } from "../../src/demo/netns";
import { HOOK_TIMEOUT_MS, ensureKeel, sh } from "./harness";

async function stateOf(socket: string): Promise<string> {
  if (!existsSync(socket)) return "DOWN";
  try {
    const c = await connect(socket);
    try {
      const r = await c.request({ cmd: "status" });
      return r.ok ? ((r.result as Status).instances[0]?.state ?? "?") : "?";
    } finally {
      c.close();
    }
  } catch {
    return "DOWN";
  }
}

function nsOf(demo: DemoController, host: string): string {
  const ns = demo.namespaces?.find((n) => n.endsWith(`-${host}`));
  if (!ns) throw new Error(`no namespace for ${host} in ${demo.namespaces?.join(" ")}`);
  return ns;
}

function hasVip(demo: DemoController, host: string): boolean {
  const j = JSON.parse(sh(["ip", "-n", nsOf(demo, host), "-j", "addr", "show", "dev", "eth0"])) as {
    addr_info: { local: string }[];
  }[];
  return j.some((l) => l.addr_info.some((a) => a.local === demo.vip));
}

async function waitFor(what: string, cond: () => Promise<boolean> | boolean, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    if (await cond()) return performance.now() - t0;
    await Bun.sleep(50);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

/** Processes whose command line mentions the demo's directory (every keel it started does). */
function procsMentioning(dir: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync("/proc")) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (readFileSync(`/proc/${p}/cmdline`, "utf8").includes(dir)) out.push(Number(p));
    } catch {
      // gone
    }
  }
  return out;
}

describe("keel demo in namespaces", () => {
  let demo: DemoController | undefined;
  const lines: string[] = [];

  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error("the netns layer needs root");
    demo = await startDemo({
      root: true,
      keelPath: process.env.KEEL_TEST_BIN ?? ensureKeel(),
      log: (l) => lines.push(l),
    });
  }, 60_000);
  afterAll(async () => {
    await demo?.close();
  }, HOOK_TIMEOUT_MS);

  const d = () => {
    if (!demo) throw new Error("the demo did not start");
    return demo;
  };

  test("makes the namespaces with one prefix and starts the routers", () => {
    expect(d().mode).toBe("namespaces");
    const nss = d().namespaces ?? [];
    expect(nss.length).toBe(7);
    const prefix = nss[0]?.replace(/sw$/, "") ?? "";
    expect(prefix).toMatch(/^kd-[0-9a-z]+-[0-9a-z]+-$/);
    for (const n of nss) expect(n.startsWith(prefix)).toBe(true);
    const listed = listNamespaces();
    for (const n of nss) expect(listed).toContain(n);
    expect(d().banner).toContain(prefix);
    for (const r of d().routers) expect(r.running).toBe(true);
  });

  test("r1 (150) becomes MASTER and holds the VIP; r2, r3 BACKUP without it", async () => {
    const [r1, r2, r3] = d().routers.map((r) => r.socketPath) as [string, string, string];
    await waitFor(
      "r1 MASTER",
      async () =>
        (await stateOf(r1)) === "MASTER" && (await stateOf(r2)) === "BACKUP" && (await stateOf(r3)) === "BACKUP",
      10_000,
    );
    await waitFor("VIP on r1", () => hasVip(d(), "r1"), 2000);
    expect(hasVip(d(), "r2")).toBe(false);
    expect(hasVip(d(), "r3")).toBe(false);
  }, 15_000);

  test("failing r1's check: r2 takes over (150 − 60 < 100), passing again: r1 back", async () => {
    await d().toggleCheck("r1");
    await waitFor("VIP on r2", () => hasVip(d(), "r2"), 1000 + masterDownMs(100) + 2000);
    expect(await stateOf(d().routers[0]?.socketPath ?? "")).toBe("BACKUP");
    await d().toggleCheck("r1");
    await waitFor("VIP back on r1", () => hasVip(d(), "r1") && !hasVip(d(), "r2"), 1000 + masterDownMs(150) + 2000);
  }, 20_000);

  test("killing r1 (SIGKILL): the VIP is on r2 within Master_Down_Interval + 1 s", async () => {
    await d().toggleRouter("r1");
    expect(d().routers[0]?.running).toBe(false);
    const took = await waitFor("VIP on r2", () => hasVip(d(), "r2"), masterDownMs(100) + 1000);
    // a crash sends no priority-0 advert: r2 waits out the interval
    expect(took).toBeGreaterThan(masterDownMs(100) - 1000 - 300);
    expect(await stateOf(d().routers[1]?.socketPath ?? "")).toBe("MASTER");
  }, 10_000);

  test("cutting r2's link: r2 FAULT, r3 MASTER with the VIP", async () => {
    await d().toggleLink("r2");
    expect(d().routers[1]?.linkUp).toBe(false);
    await waitFor("r2 FAULT", async () => (await stateOf(d().routers[1]?.socketPath ?? "")) === "FAULT", 3000);
    await waitFor("VIP on r3", () => hasVip(d(), "r3"), masterDownMs(50) + 1000);
    await d().toggleLink("r2");
  }, 15_000);

  test("starting r1 again: it takes the VIP back", async () => {
    await d().toggleRouter("r1");
    await waitFor(
      "VIP on r1",
      () => hasVip(d(), "r1") && !hasVip(d(), "r3") && !hasVip(d(), "r2"),
      masterDownMs(150) + 5000,
    );
  }, 15_000);

  test("close(): no namespace with the prefix, no process, no files left", async () => {
    const nss = d().namespaces ?? [];
    const prefix = nss[0]?.replace(/sw$/, "") ?? "";
    const dir = d().dir;
    expect(procsMentioning(dir).length).toBeGreaterThanOrEqual(3);
    await d().close();
    await d().close();
    expect(listNamespaces().filter((n) => n.startsWith(prefix))).toEqual([]);
    expect(procsMentioning(dir)).toEqual([]);
    expect(existsSync(dir)).toBe(false);
  }, 15_000);
});

describe("keel demo in namespaces: nothing left behind", () => {
  const keel = () => process.env.KEEL_TEST_BIN ?? ensureKeel();

  for (const [how, sig, code] of [
    ["wait", "SIGINT", 130],
    ["wait", "SIGTERM", 143],
    ["exit", undefined, 3],
  ] as const)
    test(`${sig ?? "process.exit"} of the demo process: namespaces, processes, files removed`, async () => {
      const fixture = join(import.meta.dir, "../unit/demo/fixtures/run-demo.ts");
      const p = Bun.spawn([process.execPath, fixture, how, "root"], {
        env: { ...process.env, KEEL_TEST_BIN: keel() },
        stdout: "pipe",
        stderr: "pipe",
      });
      const reader = p.stdout.getReader();
      let out = "";
      while (!out.includes("\n")) {
        const { value, done } = await reader.read();
        if (done) break;
        out += new TextDecoder().decode(value);
      }
      const m = /DIR (\S+) NS (\S+)/.exec(out);
      if (!m?.[1] || !m[2]) throw new Error(`the demo did not start: ${out} ${await new Response(p.stderr).text()}`);
      const [dir, nss] = [m[1], m[2].split(",")];
      expect(nss.length).toBe(7);
      if (sig) {
        for (const n of nss) expect(listNamespaces()).toContain(n);
        expect(procsMentioning(dir).length).toBeGreaterThanOrEqual(3);
        p.kill(sig);
      }
      const exit = await Promise.race([p.exited, Bun.sleep(30_000).then(() => "timeout")]);
      expect(exit).toBe(code);
      const left = listNamespaces();
      expect(nss.filter((n) => left.includes(n))).toEqual([]);
      expect(procsMentioning(dir)).toEqual([]);
      expect(existsSync(dir)).toBe(false);
      // the demo waits up to 60 s for its routers' control sockets (src/demo/netns.ts), and
      // three starting together took over 20 s at a load average of 26: the timeouts only
      // catch a hang
    }, 120_000);

  test("a later demo removes the namespaces of one killed with SIGKILL, and only those", async () => {
    const dead = Bun.spawn(["true"]);
    await dead.exited;
    const stale = `kd-${dead.pid.toString(36)}-zzz-r1`;
    const live = `kd-${process.pid.toString(36)}-zzz-r1`;
    sh(["ip", "netns", "add", stale]);
    sh(["ip", "netns", "add", live]);
    try {
      const gone = sweepStale();
      expect(gone).toContain(stale);
      expect(gone).not.toContain(live);
      expect(listNamespaces()).not.toContain(stale);
      expect(listNamespaces()).toContain(live);
    } finally {
      sh(["ip", "netns", "del", stale], { allowFail: true });
      sh(["ip", "netns", "del", live], { allowFail: true });
    }
  });
});
