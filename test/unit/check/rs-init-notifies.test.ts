// rs_init_notifies (keepalived ipwrapper.c init_service_rs): a real server that starts
// alive runs its notify_up at start only with the keyword; a reload runs it for a real
// server it adds, not for one it carries over. The real checker driver without IPVS, a
// real notify_up script that appends to a file.
import { afterAll, afterEach, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConf } from "../../../src/config/parse";
import { memorySource } from "../../../src/config/source";
import { LvsPool } from "../../../src/lvs/pool";
import { CheckerDriver } from "../../../src/runtime/checker-driver";
import { createLogger } from "../../../src/runtime/log";

const dir = mkdtempSync(join(tmpdir(), "keel-rs-init-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// no checker: a real server without one is alive from the start, as in keepalived
const rs = (ip: string, out: string) => `  real_server ${ip} 80 {
    notify_up "/bin/sh -c 'echo ${ip} >> ${out}'"
  }
`;
function cfg(global: string, out: string, ips: string[]) {
  const text = `global_defs {\n${global}\n}\nvirtual_server 10.0.0.1 80 {\n  lb_kind NAT\n  protocol TCP\n${ips.map((ip) => rs(ip, out)).join("")}}\n`;
  const r = parseConf("/mem.conf", { source: memorySource({ "/mem.conf": text }) });
  expect(r.diagnostics.items.filter((d) => d.severity === "error")).toEqual([]);
  return r.config;
}

const lines = (f: string): string[] => {
  try {
    return readFileSync(f, "utf8").trim().split("\n").filter(Boolean).sort();
  } catch {
    return [];
  }
};
async function until(f: string, n: number): Promise<string[]> {
  for (let i = 0; i < 400 && lines(f).length < n; i++) await Bun.sleep(25);
  return lines(f);
}

let driver: CheckerDriver | undefined;
afterEach(() => driver?.stop());

test("with rs_init_notifies: notify_up at start, and at a reload only for the added server", async () => {
  const out = join(dir, "with");
  const log = createLogger({ write: () => {} });
  driver = new CheckerDriver({ config: cfg("  rs_init_notifies", out, ["10.0.0.11", "10.0.0.12"]), log });
  driver.start();
  expect(await until(out, 2)).toEqual(["10.0.0.11", "10.0.0.12"]);
  driver.reload(cfg("  rs_init_notifies", out, ["10.0.0.11", "10.0.0.12", "10.0.0.13"]));
  expect(await until(out, 3)).toEqual(["10.0.0.11", "10.0.0.12", "10.0.0.13"]);
});

test("the pool: rs-notify events at init only with rs_init_notifies, never for a carried-over server", () => {
  const config = cfg("  router_id x", join(dir, "unused"), ["10.0.0.21", "10.0.0.22"]);
  const notified = (p: LvsPool) =>
    p.poll().flatMap((e) => (e.kind === "rs-notify" ? [`${e.rs.display} ${e.up ? "up" : "down"}`] : []));
  const without = new LvsPool(config);
  without.init();
  expect(notified(without)).toEqual([]);
  const withIt = new LvsPool(config);
  withIt.init(true);
  expect(notified(withIt)).toEqual(["10.0.0.21:80 up", "10.0.0.22:80 up"]);
  const reloaded = new LvsPool(config);
  reloaded.init(true, (_vs, rs) => rs.rs.ip === "10.0.0.21");
  expect(notified(reloaded)).toEqual(["10.0.0.22:80 up"]);
});
