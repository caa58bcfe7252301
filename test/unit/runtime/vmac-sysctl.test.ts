/**
 * vmac-sysctl.ts against a table of net.ipv4.conf values: keepalived 2.2.7's
 * set_interface_parameters / reset_interface_parameters bookkeeping (vrrp_if_config.c).
 */
import { describe, expect, test } from "bun:test";
import type { KernelResult } from "../../../src/runtime/kernel";
import { VmacSysctls } from "../../../src/runtime/vmac-sysctl";

const KEYS = ["arp_ignore", "arp_filter", "accept_local", "rp_filter", "promote_secondaries"];

/** net.ipv4.conf as a table: interfaces that exist, keys they refuse to be written. */
class ConfTable {
  readonly values = new Map<string, number>();
  readonly refused = new Set<string>();
  readonly writes: string[] = [];

  add(ifname: string, start: Partial<Record<string, number>> = {}): void {
    for (const k of KEYS) this.values.set(`${ifname}.${k}`, start[k] ?? (k === "rp_filter" ? 1 : 0));
  }

  drop(ifname: string): void {
    for (const k of KEYS) this.values.delete(`${ifname}.${k}`);
  }

  of(ifname: string): string {
    if (!this.values.has(`${ifname}.arp_ignore`)) return "gone";
    return KEYS.map((k) => `${k}=${this.values.get(`${ifname}.${k}`)}`).join(" ");
  }

  ipv4Conf(ifname: string, key: string, value?: number): KernelResult<number> {
    const at = `${ifname}.${key}`;
    const before = this.values.get(at);
    if (before === undefined) return { ok: false, error: { op: "ipv4-conf", code: "ENOENT", message: `no ${at}` } };
    if (value === undefined) return { ok: true, value: before };
    if (this.refused.has(at)) return { ok: false, error: { op: "ipv4-conf", code: "EPERM", message: `${at} refused` } };
    this.writes.push(`${at}=${value}`);
    this.values.set(at, value);
    return { ok: true, value: before };
  }
}

/** a namespace as it starts: all's and default's rp_filter 0; `links` the interfaces keel knows */
function setup(links: string[] = []) {
  const conf = new ConfTable();
  conf.add("all", { rp_filter: 0 });
  conf.add("default", { rp_filter: 0 });
  const lines: string[] = [];
  const s = new VmacSysctls(conf, { info: (l) => lines.push(l) }, () => links);
  return { conf, lines, s };
}
const rp = (conf: ConfTable, ...ifs: string[]) => ifs.map((i) => `${i}=${conf.values.get(`${i}.rp_filter`)}`);

const VMAC = "arp_ignore=1 arp_filter=0 accept_local=1 rp_filter=0 promote_secondaries=1";
const UNTOUCHED = "arp_ignore=0 arp_filter=0 accept_local=0 rp_filter=1 promote_secondaries=0";

describe("VmacSysctls (keepalived set_interface_parameters / reset_interface_parameters)", () => {
  test("a created IPv4 VMAC: its four, the parent's two; counted; back at the last one", () => {
    const { conf, lines, s } = setup();
    conf.add("eth0");
    conf.add("vrrp.1");
    conf.add("vrrp.2");
    s.added("vrrp.1", "eth0", 4, true);
    expect(conf.of("vrrp.1")).toBe(VMAC);
    expect(conf.of("eth0")).toBe("arp_ignore=1 arp_filter=1 accept_local=0 rp_filter=1 promote_secondaries=0");
    expect(s.relying("eth0")).toBe(1);
    s.added("vrrp.2", "eth0", 4, true);
    expect(conf.of("vrrp.2")).toBe(VMAC);
    expect(s.relying("eth0")).toBe(2);
    s.removed("vrrp.1");
    expect(s.relying("eth0")).toBe(1);
    const before = conf.writes.length;
    s.removed("vrrp.2");
    expect(s.relying("eth0")).toBe(0);
    // keepalived writes back the parent's values as its netlink view holds them: its own 1/1
    expect(conf.writes.slice(before)).toEqual(["eth0.arp_ignore=1", "eth0.arp_filter=1"]);
    expect(lines).toEqual([]);
  });

  test("the write-back is the values read after keel's set, not the ones before (keepalived's reflected view)", () => {
    const { conf, s } = setup();
    conf.add("eth0", { arp_ignore: 2 });
    conf.add("vrrp.1");
    s.added("vrrp.1", "eth0", 4, true);
    // changed by hand meanwhile (no RTM_NEWLINK for a sysctl write: keepalived's view is still 1)
    conf.values.set("eth0.arp_ignore", 3);
    s.removed("vrrp.1");
    expect(conf.of("eth0")).toBe("arp_ignore=1 arp_filter=1 accept_local=0 rp_filter=1 promote_secondaries=0");
  });

  test("a parent that already has both: no write, no count; the next VMAC looks again", () => {
    const { conf, s } = setup();
    conf.add("eth0", { arp_ignore: 1, arp_filter: 1 });
    conf.add("vrrp.1");
    conf.add("vrrp.2");
    s.added("vrrp.1", "eth0", 4, true);
    expect(conf.writes.filter((w) => w.startsWith("eth0."))).toEqual([]);
    expect(s.relying("eth0")).toBe(0);
    conf.values.set("eth0.arp_filter", 0);
    s.added("vrrp.2", "eth0", 4, true);
    expect(conf.writes.filter((w) => w.startsWith("eth0."))).toEqual(["eth0.arp_ignore=1", "eth0.arp_filter=1"]);
    expect(s.relying("eth0")).toBe(1);
    s.removed("vrrp.1");
    expect(s.relying("eth0")).toBe(0);
  });

  test("a reused VMAC gets nothing, yet its removal takes one from the count (netlink_link_del_vmac)", () => {
    const { conf, s } = setup();
    conf.add("eth0");
    conf.add("old");
    conf.add("vrrp.2");
    s.added("old", "eth0", 4, false);
    expect(conf.of("old")).toBe(UNTOUCHED);
    expect(conf.of("eth0")).toBe(UNTOUCHED);
    expect(conf.writes).toEqual([]);
    s.added("vrrp.2", "eth0", 4, true);
    expect(s.relying("eth0")).toBe(1);
    s.removed("old");
    expect(s.relying("eth0")).toBe(0);
    expect(conf.writes.slice(-2)).toEqual(["eth0.arp_ignore=1", "eth0.arp_filter=1"]);
    // vrrp.2 going later finds no count: nothing more
    const n = conf.writes.length;
    s.removed("vrrp.2");
    expect(conf.writes.length).toBe(n);
  });

  test("an IPv6 VMAC: nothing on it or its parent, at set-up or removal", () => {
    const { conf, s } = setup();
    conf.add("eth0");
    conf.add("vrrp6.1");
    conf.add("vrrp.1");
    s.added("vrrp6.1", "eth0", 6, true);
    expect(conf.of("vrrp6.1")).toBe(UNTOUCHED);
    expect(conf.of("eth0")).toBe(UNTOUCHED);
    s.added("vrrp.1", "eth0", 4, true);
    s.removed("vrrp6.1");
    expect(s.relying("eth0")).toBe(1);
  });

  test("a parent in another namespace (none here): the VMAC's four only", () => {
    const { conf, s } = setup();
    conf.add("vrrp.1");
    s.added("vrrp.1", undefined, 4, true);
    expect(conf.of("vrrp.1")).toBe(VMAC);
    s.removed("vrrp.1");
    expect(conf.writes.length).toBe(4);
  });

  test("refusals are logged as keepalived logs them and nothing is thrown", () => {
    const { conf, lines, s } = setup();
    conf.add("eth0");
    conf.add("vrrp.1");
    conf.add("vrrp.2");
    // the VMAC's request refused: the parent is not tried
    conf.refused.add("vrrp.1.rp_filter");
    s.added("vrrp.1", "eth0", 4, true);
    expect(lines).toEqual(["Unable to set parameters for vrrp.1"]);
    expect(conf.of("eth0")).toBe(UNTOUCHED);
    // the parent's refused: no count
    lines.length = 0;
    conf.refused.add("eth0.arp_filter");
    s.added("vrrp.2", "eth0", 4, true);
    expect(lines).toEqual(["Set base flags on eth0 failed for VMAC vrrp.2", "Unable to set parameters for vrrp.2"]);
    expect(s.relying("eth0")).toBe(0);
    // the write-back refused
    lines.length = 0;
    conf.refused.delete("eth0.arp_filter");
    conf.values.set("eth0.arp_ignore", 0);
    s.added("vrrp.2", "eth0", 4, true);
    conf.refused.add("eth0.arp_ignore");
    s.removed("vrrp.2");
    expect(lines).toEqual(["reset interface flags on eth0 failed", "Unable to reset parameters for eth0"]);
  });

  test("a parent gone before the last VMAC: nothing to reset, no line", () => {
    const { conf, lines, s } = setup();
    conf.add("eth0");
    conf.add("vrrp.1");
    s.added("vrrp.1", "eth0", 4, true);
    conf.drop("eth0");
    s.removed("vrrp.1");
    expect(lines).toEqual([]);
  });

  // keepalived clear_rp_filter / restore_rp_filter (vrrp_if_config.c): a VMAC's rp_filter=0
  // counts only while all.rp_filter is 0
  test("all.rp_filter above 0: moved onto default and each interface below it before the first VMAC's four, all to 0; put back at the stop", () => {
    const { conf, lines, s } = setup(["lo", "eth0", "eth1", "eth2", "vrrp.1"]);
    conf.values.set("all.rp_filter", 2);
    for (const [i, v] of [
      ["lo", 0],
      ["eth0", 0],
      ["eth1", 1],
      ["eth2", 2],
      ["vrrp.1", 0],
      ["vrrp.2", 0],
    ] as const)
      conf.add(i, { rp_filter: v });
    s.added("vrrp.1", "eth0", 4, true);
    expect(lines).toEqual([
      "NOTICE: setting sysctl net.ipv4.conf.default.rp_filter from 0 to 2",
      "NOTICE: setting sysctl net.ipv4.conf.all.rp_filter from 2 to 0",
    ]);
    // the interfaces behave as before (the kernel takes the larger of all's and theirs); the VMAC's 0 holds now
    expect(rp(conf, "all", "default", "lo", "eth0", "eth1", "eth2", "vrrp.1")).toEqual([
      "all=0",
      "default=2",
      "lo=2",
      "eth0=2",
      "eth1=2",
      "eth2=2",
      "vrrp.1=0",
    ]);
    // once: the next VMAC finds all at 0 as keel left it
    lines.length = 0;
    s.added("vrrp.2", "eth0", 4, true);
    expect(lines).toEqual([]);
    // a value changed since is left as it is
    conf.values.set("eth1.rp_filter", 0);
    s.restoreRpFilter();
    expect(lines).toEqual([
      "NOTICE: resetting sysctl net.ipv4.conf.all.rp_filter to 2",
      "NOTICE: resetting sysctl net.ipv4.conf.default.rp_filter to 0",
    ]);
    expect(rp(conf, "all", "default", "lo", "eth0", "eth1", "eth2", "vrrp.1")).toEqual([
      "all=2",
      "default=0",
      "lo=0",
      "eth0=0",
      "eth1=0",
      "eth2=2",
      "vrrp.1=0",
    ]);
    // nothing more to put back
    const writes = conf.writes.length;
    s.restoreRpFilter();
    expect(conf.writes.length).toBe(writes);
  });

  test("all.rp_filter at 0: nothing moved, no line; looked at again at the next created IPv4 VMAC", () => {
    const { conf, lines, s } = setup(["eth0", "vrrp.1", "vrrp.2", "vrrp.3"]);
    for (const i of ["eth0", "vrrp.1", "vrrp.2", "vrrp.3"]) conf.add(i);
    s.added("vrrp.1", "eth0", 4, true);
    expect(lines).toEqual([]);
    expect(conf.writes.filter((w) => w.startsWith("all.") || w.startsWith("default."))).toEqual([]);
    conf.values.set("all.rp_filter", 1);
    // an IPv6 VMAC or a reused one sets no parameters: no clearing either
    s.added("vrrp.2", "eth0", 6, true);
    s.added("vrrp.3", "eth0", 4, false);
    expect(rp(conf, "all")).toEqual(["all=1"]);
    s.removed("vrrp.1");
    conf.add("vrrp.1");
    s.added("vrrp.1", "eth0", 4, true);
    expect(rp(conf, "all")).toEqual(["all=0"]);
    expect(lines).toEqual([
      "NOTICE: setting sysctl net.ipv4.conf.default.rp_filter from 0 to 1",
      "NOTICE: setting sysctl net.ipv4.conf.all.rp_filter from 1 to 0",
    ]);
  });
});
