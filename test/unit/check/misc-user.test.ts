// MISC_CHECK's user (check_misc.c misc_path_handler / misc_user_handler): a misc_path
// without `user` runs as global_defs' script_user (keepalived's default script uid/gid),
// one with `user` as that user. The real checker driver runs a real script, which writes
// its uid; needs root (setpriv drops to the user), as CI runs it.
import { afterAll, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { parseConf } from "../../../src/config/parse";
import { memorySource } from "../../../src/config/source";
import type { Event } from "../../../src/control/protocol";
import { CheckerDriver } from "../../../src/runtime/checker-driver";
import { lookupIds } from "../../../src/runtime/exec";

const dir = mkdtempSync(join(tmpdir(), "keel-misc-user-"));
chmodSync(dir, 0o777);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("MISC_CHECK runs as script_user unless it names its own user", async () => {
  const nobody = lookupIds("nobody");
  const daemon = lookupIds("daemon");
  expect(nobody && daemon).toBeTruthy();
  const script = join(dir, "uid.sh");
  writeFileSync(script, `#!/bin/sh\nid -u > "${dir}/uid-$1"\n`);
  chmodSync(script, 0o755);
  const text = `
global_defs {
  script_user nobody
}
virtual_server 10.0.0.1 80 {
  lb_kind NAT
  protocol TCP
  real_server 127.0.0.1 1 {
    MISC_CHECK {
      misc_path "${script} default"
      alpha
      warmup 0
      delay_loop 60
    }
  }
  real_server 127.0.0.1 2 {
    MISC_CHECK {
      misc_path "${script} own"
      user daemon
      alpha
      warmup 0
      delay_loop 60
    }
  }
}
`;
  const source = memorySource({ "/mem.conf": text });
  const r = parseConf("/mem.conf", { source, host: { interfaceExists: () => true }, configId: "t" });
  expect(r.diagnostics.items.filter((d) => d.severity === "error")).toEqual([]);
  const ups = new Set<string>();
  let bothUp: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    bothUp = resolve;
  });
  const onEvent = (e: Event) => {
    if (e.event === "real-server" && e.up) ups.add(JSON.stringify(e));
    if (ups.size === 2) bothUp();
  };
  const driver = new CheckerDriver({
    config: r.config,
    log: pino({ level: "silent" }),
    onEvent,
    random: () => 0,
  });
  driver.start();
  try {
    await done;
  } finally {
    driver.stop();
  }
  expect(readFileSync(join(dir, "uid-default"), "utf8").trim()).toBe(String(nobody!.uid));
  expect(readFileSync(join(dir, "uid-own"), "utf8").trim()).toBe(String(daemon!.uid));
});
