/**
 * fifo_write_vrrp_states_on_reload against Debian's keepalived 2.2.7, one config run by
 * each in turn: after a reload the notify FIFO gets the carried sync group's state and
 * the carried FAULT instance's (its effective priority), and nothing for the owner that
 * stays MASTER. A FIFO reader script (notify_fifo_script) copies the lines to a file.
 * The FAULT comes from a track_file, so no timer decides what the reload finds.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { HOOK_TIMEOUT_MS, Lab, type Proc, ensureKeel, eventually } from "../netns/harness";

let lab: Lab;
let dir: string;
beforeAll(() => {
  ensureKeel();
  if (!Bun.which("keepalived")) throw new Error("keepalived is needed");
  lab = Lab.create(["h1"]);
  dir = lab.tmpdir("h1");
  writeFileSync(`${dir}/track`, "1\n");
  writeFileSync(`${dir}/reader.sh`, `#!/bin/sh\nwhile read -r l; do echo "$l" >> "${dir}/lines"; done < "$1"\n`);
  chmodSync(`${dir}/reader.sh`, 0o755);
}, HOOK_TIMEOUT_MS);
afterAll(() => lab?.destroy());

const conf = (fifo: string) => `global_defs {
  router_id fifo
  notify_fifo ${fifo}
  notify_fifo_script ${dir}/reader.sh
  fifo_write_vrrp_states_on_reload
}
vrrp_track_file F {
  file ${dir}/track
}
vrrp_sync_group G {
  group {
    A
  }
}
vrrp_instance A {
  interface eth0
  state BACKUP
  virtual_router_id 51
  priority 100
  advert_int 1
  track_file {
    F weight 0
  }
  virtual_ipaddress {
    10.99.0.100/32
  }
}
vrrp_instance B {
  interface eth0
  state MASTER
  virtual_router_id 52
  priority 255
  advert_int 1
  virtual_ipaddress {
    10.99.0.101/32
  }
}
`;

const lines = () => (existsSync(`${dir}/lines`) ? readFileSync(`${dir}/lines`, "utf8").trim().split("\n") : []);

async function run(start: (c: string) => Proc, file: string, fifo: string): Promise<string[]> {
  rmSync(`${dir}/lines`, { force: true });
  const p = start(conf(fifo));
  await p.waitFor(/Startup complete/, 30_000);
  await eventually(() => lines().includes('INSTANCE "B" MASTER 255') && lines().includes('INSTANCE "A" FAULT 100'));
  const before = lines().length;
  lab.file(file, conf(fifo));
  p.kill("SIGHUP");
  await eventually(() => lines().filter((l) => l === 'INSTANCE "A" FAULT 100').length === 2, 20_000);
  // a line for B would be written in the same pass as A's (both daemons write them in one
  // loop), so it would be read by the time the stop below has been handled
  p.kill("SIGTERM");
  await p.exited;
  return lines()
    .slice(before)
    .filter((l) => !/STOP|DELETED/.test(l));
}

test("after a reload the FIFO gets the carried group's and FAULT instance's states, as keepalived's", async () => {
  const ka = await run((c) => lab.keepalived("h1", c), "h1-ka.conf", `${dir}/ka.fifo`);
  expect(ka).toEqual(['GROUP "G" FAULT 0', 'INSTANCE "A" FAULT 100']);
  const keel = await run((c) => lab.keel("h1", c), "h1.conf", `${dir}/keel.fifo`);
  expect(keel).toEqual(ka);
}, 120_000);
