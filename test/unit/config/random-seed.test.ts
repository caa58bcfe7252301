// random_seed (config/load.ts, base/glibc-random.ts): the file is read again with
// srandom(seed), so ${_RANDOM} gives glibc's random() sequence for that seed, the same on
// every load. (keepalived 2.2.7 documents the same intent, but its VRRP child ends up with
// other values on each start: two runs with one seed differ.) ${_RANDOM MIN MAX} is
// random() % (MAX - MIN + 1) + MIN, and a single parameter is MIN (lib/parser.c get_random).
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../../src/config/load";

const dir = mkdtempSync(join(tmpdir(), "keel-seed-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const conf = (seed: string) => `global_defs {
  router_id r\${_RANDOM 3}
  ${seed}
}
vrrp_instance A {
  interface eth0
  virtual_router_id \${_RANDOM 1 255}
  priority \${_RANDOM 1 254}
  advert_int 1
  virtual_ipaddress {
    10.99.0.100/32
  }
}
`;

function load(seed: string) {
  const f = join(dir, `k${Math.random().toString(36).slice(2)}.conf`);
  writeFileSync(f, conf(seed));
  const r = loadConfig(f);
  expect(r.diagnostics.errorCount).toBe(0);
  const v = r.config.vrrpInstances.A;
  return [Number(r.config.globalDefs.routerId?.slice(1)), v?.virtualRouterId, v?.priority];
}

test("random_seed: glibc's sequence for the seed, on every load", () => {
  // srandom(4000000000): random() = 1111130805, 1380198982, 1306113867
  const want = [(1111130805 % (32767 - 3 + 1)) + 3, (1380198982 % 255) + 1, (1306113867 % 254) + 1];
  expect(load("random_seed 4000000000")).toEqual(want);
  expect(load("random_seed 4000000000")).toEqual(want);
});

test("without random_seed the values still fall in their ranges", () => {
  const [router, vrid, prio] = load("") as number[];
  expect(vrid).toBeGreaterThanOrEqual(1);
  expect(vrid).toBeLessThanOrEqual(255);
  expect(prio).toBeGreaterThanOrEqual(1);
  expect(prio).toBeLessThanOrEqual(254);
  expect(router).toBeGreaterThanOrEqual(3);
});
