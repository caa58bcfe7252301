/**
 * global_defs dynamic_interfaces beside keepalived 2.2.7 (issue 16). Without it, an
 * interface the configuration names that does not exist stops both at start with
 * "Non-existent interface specified in configuration" (exit 2, KEEPALIVED_EXIT_CONFIG).
 * With it, both start with their instances in FAULT, take the interface when it is
 * created, drop it when it is deleted and follow it when it comes back under a new
 * ifindex: keel and keepalived are VRRP peers on it, each master of one VRID, and the
 * VIPs end where the priorities say only when each one both sends and receives on the
 * interface's current ifindex (a socket left bound to the old one gives dual masters).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Lab, type Proc, ensureKeel, eventually, instance } from "./harness";

const onEth1 = (s: string) => s.replace("interface eth0", "interface eth1");
const VIP1 = "10.98.0.101";
const VIP2 = "10.98.0.102";

/** VI_1 (VIP1) is the keepalived host's, VI_2 (VIP2) keel's */
function conf(dynamic: boolean, keelSide: boolean): string {
  const g = `global_defs {\n  router_id ${keelSide ? "k" : "ka"}\n${dynamic ? "  dynamic_interfaces\n" : ""}}\n`;
  return (
    g +
    onEth1(instance({ name: "VI_1", vrid: 61, priority: keelSide ? 100 : 200, vips: [`${VIP1}/32`] })) +
    onEth1(instance({ name: "VI_2", vrid: 62, priority: keelSide ? 200 : 100, vips: [`${VIP2}/32`] }))
  );
}

describe("dynamic_interfaces, keel beside keepalived", () => {
  let lab: Lab;
  beforeAll(() => {
    ensureKeel();
    lab = Lab.create(["k", "ka"]);
  });
  afterAll(() => lab?.destroy());

  test("without it a missing interface stops both at start (exit 2)", async () => {
    const ka = lab.keepalived("ka", conf(false, false));
    const k = lab.keel("k", conf(false, true));
    expect(await ka.exited).toBe(2);
    expect(await k.exited).toBe(2);
    for (const p of [ka, k]) expect(p.text()).toContain("Non-existent interface specified in configuration");
    expect(ka.text()).toContain("WARNING - interface eth1 for vrrp_instance VI_1 doesn't exist");
    expect(k.text()).toMatch(/error\[unknown-interface\]: \(VI_1\) interface: interface 'eth1' doesn't exist/);
  });

  /** the pair eth1 (k) <-> eth1 (ka); returns k's eth1 ifindex */
  const createPair = (): number => {
    lab.exec("k", ["ip", "link", "add", "eth1", "type", "veth", "peer", "name", "eth1", "netns", lab.ns("ka")]);
    lab.exec("k", ["ip", "addr", "add", "10.98.0.1/24", "dev", "eth1"]);
    lab.exec("ka", ["ip", "addr", "add", "10.98.0.2/24", "dev", "eth1"]);
    lab.exec("ka", ["ip", "link", "set", "eth1", "up"]);
    lab.exec("k", ["ip", "link", "set", "eth1", "up"]);
    return Number(lab.exec("k", ["cat", "/sys/class/net/eth1/ifindex"]).trim());
  };
  /** each holds its own VIP and not the other's: both send and hear adverts on eth1 */
  const settled = () =>
    eventually(
      () =>
        lab.hasAddr("k", VIP2, "eth1") &&
        !lab.hasAddr("k", VIP1, "eth1") &&
        lab.hasAddr("ka", VIP1, "eth1") &&
        !lab.hasAddr("ka", VIP2, "eth1"),
      30_000,
      100,
    );
  const inFault = async (p: Proc, from: number, re: RegExp) => {
    for (const i of ["VI_1", "VI_2"]) await p.waitFor(new RegExp(`\\(${i}\\)${re.source}`), 15_000, from);
  };

  test("with it: FAULT until created, FAULT when deleted, followed when created again (new ifindex)", async () => {
    const ka = lab.keepalived("ka", conf(true, false));
    const k = lab.keel("k", conf(true, true));
    const waiting = /Configuration specifies interface eth1 which doesn't currently exist - will use if created/;
    await ka.waitFor(waiting);
    await k.waitFor(waiting);
    await inFault(ka, 0, / entering FAULT state/);
    await inFault(k, 0, / entering FAULT state/);

    const first = createPair();
    await settled();

    let kFrom = k.lines.length;
    let kaFrom = ka.lines.length;
    lab.exec("k", ["ip", "link", "del", "eth1"]);
    await k.waitFor(/Interface eth1 deleted/, 10_000, kFrom);
    await ka.waitFor(/Interface eth1 deleted/, 10_000, kaFrom);
    await inFault(k, kFrom, / Entering FAULT STATE/);
    await inFault(ka, kaFrom, / Entering FAULT STATE/);

    kFrom = k.lines.length;
    kaFrom = ka.lines.length;
    const second = createPair();
    expect(second).not.toBe(first);
    await settled();
    // both came back through BACKUP, as keepalived does once the link is up again
    for (const p of [k, ka]) {
      await p.waitFor(/Netlink reports eth1 up/, 10_000, p === k ? kFrom : kaFrom);
      await p.waitFor(/\(VI_2\) Entering BACKUP STATE/, 10_000, p === k ? kFrom : kaFrom);
    }
    // (at the deletion both log a failed send, as keepalived does: "send advert error 19")
    const after = k.lines.slice(kFrom).map((l) => l.text);
    expect(after.filter((l) => /cannot send (advert|gratuitous ARP)/.test(l))).toEqual([]);
    // keel's new sockets are bound to the new ifindex
    expect(after.some((l) => l.includes(`VRRP sockpool: [ifindex(${String(second).padStart(3)})`))).toBe(true);

    // a reload naming a missing interface without the keyword: keepalived's VRRP process
    // stops on it and the daemon with it (leaving its VIPs behind); keel refuses the
    // reload and runs on, as it refuses any configuration error
    lab.file("k.conf", conf(false, true).replaceAll("interface eth1", "interface eth9"));
    kFrom = k.lines.length;
    k.kill("SIGHUP");
    await k.waitFor(/error\[unknown-interface\]: \(VI_1\) interface: interface 'eth9' doesn't exist/, 10_000, kFrom);
    await k.waitFor(/Reload failed: 2 error\(s\) in .*keeping the running configuration/, 10_000, kFrom);
    expect(lab.hasAddr("k", VIP2, "eth1")).toBe(true);

    k.kill("SIGTERM");
    ka.kill("SIGTERM");
    expect(await k.exited).toBe(0);
    expect(await ka.exited).toBe(0);
  });
});
