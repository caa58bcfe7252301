// Whatever way the process ends, the demo leaves nothing behind.
import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";

const FIXTURE = join(import.meta.dir, "fixtures/run-demo.ts");

async function run(
  how: string,
  signal?: NodeJS.Signals,
): Promise<{ dir: string; code: number | null; sockets: string[] }> {
  const p = Bun.spawn([process.execPath, FIXTURE, how], { stdout: "pipe", stderr: "pipe" });
  const reader = p.stdout.getReader();
  let out = "";
  while (!out.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    out += new TextDecoder().decode(value);
  }
  const dir = /DIR (\S+)/.exec(out)?.[1];
  if (!dir) throw new Error(`no directory printed: ${out} ${await new Response(p.stderr).text()}`);
  const sockets = ["r1", "r2", "r3"].map((r) => join(dir, `${r}.sock`));
  if (signal) {
    expect(existsSync(dir)).toBe(true);
    for (const s of sockets) expect(existsSync(s)).toBe(true);
    p.kill(signal);
  }
  const code = await Promise.race([p.exited, Bun.sleep(5000).then(() => null)]);
  if (code === null) p.kill("SIGKILL");
  return { dir, code, sockets };
}

describe("demo cleanup on process end", () => {
  for (const [sig, n] of [
    ["SIGINT", 2],
    ["SIGTERM", 15],
    ["SIGHUP", 1],
  ] as const)
    test(`${sig}: files removed, exit ${128 + n}`, async () => {
      const r = await run("wait", sig);
      expect(r.code).toBe(128 + n);
      expect(existsSync(r.dir)).toBe(false);
    });

  test("process.exit without close(): files removed", async () => {
    const r = await run("exit");
    expect(r.code).toBe(3);
    expect(existsSync(r.dir)).toBe(false);
  });

  test("an uncaught exception: files removed", async () => {
    const r = await run("throw");
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBeNull();
    expect(existsSync(r.dir)).toBe(false);
  });
});
