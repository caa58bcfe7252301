/**
 * The arm64 binary, run under qemu-user-static: its --version, `keel -t` on the config
 * fixtures that produce every diagnostic code (the same stdout, stderr and exit status as
 * the x64 binary, byte for byte), and
 * the simulated demo for a minute of real time: three routers electing, the master killed
 * and restarted, each election read over the arm64 binary's control sockets by the x64
 * `keel status` (so the control protocol is checked across the two builds as well).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join, relative } from "node:path";
import { eventually } from "../netns/harness";
import { ARM64_ENV, KEEL_ARM64, KEEL_X64, ROOT, VERSION, arm64, ensureRelease, pool, run } from "./release";

beforeAll(() => ensureRelease(), 600_000);

test("keel --version names the version, a commit, Bun and linux-arm64", async () => {
  const r = await run(arm64(["--version"]), { env: ARM64_ENV });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  const lines = r.stdout.split("\n");
  // keepalived's -v starts "Keepalived v2.2.7 (...)": keel's first line keeps that shape
  expect(lines[0]).toBe(`Keel v${VERSION} (keepalived.conf compatible with Keepalived 2.2.x)`);
  expect(lines[1]).toMatch(/^commit: [0-9a-f]{12}(-dirty)?$/);
  expect(lines[2]).toBe(`bun: ${Bun.version}`);
  expect(lines[3]).toBe("arch: linux-arm64");
  // and the x64 one says x64, from the same commit
  const x = await run([KEEL_X64, "--version"]);
  expect(x.stdout.split("\n")[3]).toBe("arch: linux-x64");
  expect(x.stdout.split("\n")[1]).toBe(lines[1]!);
}, 120_000);

/**
 * The fixtures that together produce every diagnostic code the x64 binary prints for the
 * whole set (greedy set cover, ties by path): an emulated start costs ~6 CPU-seconds, so
 * running all 69 fixtures under qemu cost minutes of CI for no code that the covering set
 * leaves unexercised.
 */
function covering(outputs: { f: string; codes: Set<string> }[]): string[] {
  const left = new Set(outputs.flatMap((o) => [...o.codes]));
  const chosen: string[] = [];
  while (left.size > 0) {
    let best = outputs[0] as { f: string; codes: Set<string> };
    let gain = -1;
    for (const o of outputs) {
      const g = [...o.codes].filter((c) => left.has(c)).length;
      if (g > gain) [best, gain] = [o, g];
    }
    chosen.push(best.f);
    for (const c of best.codes) left.delete(c);
  }
  return chosen;
}

test("keel -t on the config fixtures: every diagnostic code the fixtures produce, byte for byte as x64", async () => {
  const dir = join(ROOT, "test/fixtures/config");
  const files = [...new Bun.Glob("**/*.{conf,toml}").scanSync(dir)].sort().map((f) => relative(ROOT, join(dir, f)));
  expect(files.length).toBeGreaterThan(60);
  const x64 = await pool(
    files.map((f) => async () => ({ f, x: await run([KEEL_X64, "-t", "-f", f]) })),
    availableParallelism(),
  );
  const codes = (text: string) => new Set(text.match(/\b(?:error|warning)\[[a-z0-9-]+\]/g) ?? []);
  const set = covering(x64.map(({ f, x }) => ({ f, codes: codes(x.stdout + x.stderr) })));
  const all = new Set(x64.flatMap(({ x }) => [...codes(x.stdout + x.stderr)]));
  // the fixtures speak: dozens of codes, errors among them, TOML and includes too
  expect(all.size).toBeGreaterThan(50);
  expect(set.some((f) => f.endsWith(".toml"))).toBe(true);
  const byFile = new Map(x64.map(({ f, x }) => [f, x]));
  const results = await pool(
    set.map((f) => async () => ({
      f,
      x: byFile.get(f) as Awaited<ReturnType<typeof run>>,
      a: await run(arm64(["-t", "-f", f]), { env: ARM64_ENV }),
    })),
    availableParallelism(),
  );
  const differ = results.filter(({ x, a }) => x.code !== a.code || x.stdout !== a.stdout || x.stderr !== a.stderr);
  expect(differ.map(({ f, x, a }) => `${f}: x64 exit ${x.code}, arm64 exit ${a.code}\n${a.stderr}`)).toEqual([]);
  // the set holds fixtures with errors: both binaries found the same ones
  expect(results.some(({ x }) => x.code !== 0)).toBe(true);
  const seen = new Set(results.flatMap(({ a }) => [...codes(a.stdout + a.stderr)]));
  expect([...all].filter((c) => !seen.has(c))).toEqual([]);
}, 1_200_000);

describe("the simulated demo under emulation, for a minute", () => {
  const session = `keel-arm64-${process.pid}`;
  const tmux = (...args: string[]) => Bun.spawnSync(["tmux", ...args], { stdout: "pipe", stderr: "pipe" });
  const screen = () => tmux("capture-pane", "-p", "-t", session).stdout.toString();
  const tmp = mkdtempSync(join(tmpdir(), "keel-arm64-demo-"));
  afterAll(() => {
    tmux("kill-session", "-t", session);
    rmSync(tmp, { recursive: true, force: true });
  });

  /** r1..r3's state as the x64 `keel status` reads it from the arm64 demo; undefined: down */
  async function states(demoDir: string): Promise<Record<string, string | undefined>> {
    const out: Record<string, string | undefined> = {};
    for (const r of ["r1", "r2", "r3"]) {
      const sock = join(demoDir, `${r}.sock`);
      const s = existsSync(sock) ? await run([KEEL_X64, "status", "--json", "--control-socket", sock]) : undefined;
      out[r] =
        s?.code === 0 ? (JSON.parse(s.stdout) as { instances: { state: string }[] }).instances[0]?.state : undefined;
    }
    return out;
  }
  /** the one MASTER among the routers that answer, once the others are BACKUP */
  async function settledMaster(demoDir: string, want: string[], ms: number): Promise<string> {
    return eventually(async () => {
      const s = await states(demoDir);
      const up = Object.entries(s).filter(([, st]) => st !== undefined);
      const masters = up.filter(([, st]) => st === "MASTER").map(([r]) => r);
      if (masters.length !== 1 || up.some(([, st]) => st !== "MASTER" && st !== "BACKUP")) {
        throw new Error(`not settled: ${JSON.stringify(s)}`);
      }
      if (!want.includes(masters[0]!))
        throw new Error(`master is ${masters[0]}, not one of ${want}: ${JSON.stringify(s)}`);
      return masters[0]!;
    }, ms);
  }

  test("r1 masters, loses the VIP to r2 when killed and takes it back when restarted, for 60 s; q removes everything", async () => {
    const env = Object.entries({ TMPDIR: tmp, QEMU_LD_PREFIX: ARM64_ENV.QEMU_LD_PREFIX })
      .map(([k, v]) => `${k}=${v}`)
      .join(" ");
    const r = tmux(
      "new-session",
      "-d",
      "-s",
      session,
      "-x",
      "120",
      "-y",
      "30",
      `env ${env} qemu-aarch64-static ${KEEL_ARM64} demo --simulated; echo EXIT=$?; sleep 600`,
    );
    expect(r.exitCode).toBe(0);
    // emulated, the binary needs several seconds to start: wait for its three sockets
    const demoDir = await eventually(() => {
      const d = readdirSync(tmp).find((n) => n.startsWith("keel-demo-"));
      return d !== undefined && ["r1", "r2", "r3"].every((x) => existsSync(join(tmp, d, `${x}.sock`))) && join(tmp, d);
    }, 120_000);
    const give = 60_000; // when to give up on an election, never a bound on its time
    expect(await settledMaster(demoDir, ["r1"], give)).toBe("r1");
    const t0 = performance.now();
    let rounds = 0;
    while (performance.now() - t0 < 60_000) {
      tmux("send-keys", "-t", session, "x"); // the TUI watches r1: kill it
      await eventually(() => !existsSync(join(demoDir, "r1.sock")), give);
      expect(await settledMaster(demoDir, ["r2"], give)).toBe("r2");
      tmux("send-keys", "-t", session, "x"); // restart r1: it preempts (150 > 100)
      expect(await settledMaster(demoDir, ["r1"], give)).toBe("r1");
      rounds++;
    }
    expect(rounds).toBeGreaterThanOrEqual(1);
    tmux("send-keys", "-t", session, "q");
    await eventually(() => {
      if (!/EXIT=0/.test(screen())) throw new Error(`the demo has not exited 0:\n${screen()}`);
    }, give);
    expect(existsSync(demoDir)).toBe(false);
  }, 600_000);
});
