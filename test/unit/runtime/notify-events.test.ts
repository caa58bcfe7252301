// Notifier.instanceEvent (src/runtime/notify.ts) on a real FIFO: which of keepalived's
// event lines (vrrp_notify.c send_event_notify, send_instance_priority_notifies) are
// written, and notify_priority_changes resolved as vrrp.c vrrp_complete_instance does
// (the instance's own, else its sync group's, else the global one).
import { afterAll, expect, test } from "bun:test";
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../../src/config/load";
import { createLogger } from "../../../src/runtime/log";
import { Notifier } from "../../../src/runtime/notify";

const dir = mkdtempSync(join(tmpdir(), "keel-notify-events-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const inst = (name: string, vrid: number, extra = "") =>
  `vrrp_instance ${name} {\n  interface lo\n  virtual_router_id ${vrid}\n  priority 100\n  virtual_ipaddress {\n    10.0.0.${vrid}\n  }\n${extra}}\n`;

/** The FIFO lines written while `fn` runs. */
function fifoLines(conf: string, fn: (n: Notifier) => void): string[] {
  const fifo = join(dir, `n${Math.random().toString(36).slice(2)}.fifo`);
  const file = join(dir, "keel.conf");
  writeFileSync(
    file,
    `global_defs {\n  vrrp_notify_fifo ${fifo}\n${conf.split("\n---\n")[0]}}\n${conf.split("\n---\n")[1]}`,
  );
  const r = loadConfig(file);
  expect(r.diagnostics.errorCount).toBe(0);
  const n = new Notifier(r.config, createLogger({ write: () => {} }));
  n.start();
  const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    fn(n);
    const buf = Buffer.alloc(65536);
    let got = 0;
    try {
      got = readSync(fd, buf);
    } catch {
      // EAGAIN: nothing written
    }
    return buf.subarray(0, got).toString().split("\n").filter(Boolean);
  } finally {
    closeSync(fd);
    n.stop();
  }
}

test("priority lines follow the instance's notify_priority_changes, else its sync group's, else the global one", () => {
  const conf = `  vrrp_notify_priority_changes true
---
vrrp_sync_group G_OFF {
  group {
    VI_G
    VI_OWN
  }
  notify_priority_changes false
}
${inst("VI_GLOBAL", 1)}${inst("VI_G", 2)}${inst("VI_OWN", 3, "  notify_priority_changes true\n")}`;
  const lines = fifoLines(conf, (n) => {
    n.instanceEvent("VI_GLOBAL", "MASTER_PRIORITY", 90);
    n.instanceEvent("VI_G", "BACKUP_PRIORITY", 80);
    n.instanceEvent("VI_OWN", "BACKUP_PRIORITY", 70);
  });
  expect(lines).toEqual(['INSTANCE "VI_GLOBAL" MASTER_PRIORITY 90', 'INSTANCE "VI_OWN" BACKUP_PRIORITY 70']);
});

test("without notify_priority_changes anywhere no priority line; MASTER_RX_LOWER_PRI is always written", () => {
  const lines = fifoLines(`\n---\n${inst("VI_1", 1)}`, (n) => {
    n.instanceEvent("VI_1", "MASTER_PRIORITY", 90);
    n.instanceEvent("VI_1", "MASTER_RX_LOWER_PRI", 100);
    n.instanceEvent("NOT_OURS", "MASTER_RX_LOWER_PRI", 100);
  });
  expect(lines).toEqual(['INSTANCE "VI_1" MASTER_RX_LOWER_PRI 100']);
});
