/**
 * Interfaces and addresses that come and go under a running keel (issue 16): an
 * instance whose interface appears after start is picked up (netlink RTM_NEWLINK), one
 * without an address to send from waits in FAULT and comes up with the address, and an
 * IPv6 instance whose link-local is dadfailed says so (log, status, explain) and comes
 * up as soon as an address is usable, where keepalived stays stuck (a tentative one is
 * taken at once, as keepalived takes it).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { KEEL, Lab, ensureKeel, instance, sh } from "./harness";

const GLOBAL = "global_defs {\n  router_id ifs\n  dynamic_interfaces\n}\n";

describe("interfaces and addresses after start", () => {
  let lab: Lab;
  beforeAll(() => {
    ensureKeel();
    lab = Lab.create(["h1", "h2"], { ipv6: true });
  });
  afterAll(() => lab?.destroy());

  const status = (sock: string) => JSON.parse(sh([KEEL, "status", "--json", "--control-socket", sock]));
  const explain = (sock: string) => sh([KEEL, "explain", "--control-socket", sock]);

  test("an interface created after start, first without an address, then with one", async () => {
    const conf =
      GLOBAL + instance({ priority: 100, vips: ["10.98.0.100/32"] }).replace("interface eth0", "interface eth1");
    const k = lab.keel("h1", conf);
    await k.waitFor(/Configuration specifies interface eth1 which doesn.t currently exist - will use if created/);
    // in FAULT from the start: vrrp_complete_init's line (no "(init)" line)
    await k.waitFor(/\(VI_1\) entering FAULT state$/);
    lab.exec("h1", ["ip", "link", "add", "eth1", "type", "veth", "peer", "name", "eth1p"]);
    lab.exec("h1", ["ip", "link", "set", "eth1p", "up"]);
    lab.exec("h1", ["ip", "link", "set", "eth1", "up"]);
    await k.waitFor(/Netlink reports eth1 up/);
    // up, but nothing to send adverts from: still FAULT, and it says why
    await k.waitFor(/\(VI_1\) no address to send adverts from on eth1: no IPv4 address/);
    const sock = `${lab.tmpdir("h1")}/keel-${lab.keels.indexOf(k)}.sock`;
    expect(status(sock).instances[0].state).toBe("FAULT");
    expect(explain(sock)).toContain("interface eth1 has no address to send adverts from (no IPv4 address)");
    const from = k.lines.length;
    lab.exec("h1", ["ip", "addr", "add", "10.98.0.1/24", "dev", "eth1"]);
    await k.waitFor(/\(VI_1\) Entering BACKUP STATE/, undefined, from);
    await k.waitFor(/\(VI_1\) Entering MASTER STATE/, undefined, from);
    expect(lab.hasAddr("h1", "10.98.0.100", "eth1")).toBe(true);
    expect(k.text()).not.toContain("advert not sent");
    k.kill("SIGTERM");
    expect(await k.exited).toBe(0);
  });

  test("default_interface: where a static_ipaddress without dev goes (keepalived's get_default_if)", async () => {
    lab.exec("h2", ["ip", "link", "add", "lan0", "type", "veth", "peer", "name", "lan0p"]);
    const conf = `global_defs {\n  default_interface lan0\n}\nstatic_ipaddress {\n  10.97.0.5/32\n}\n${instance({ priority: 100 })}`;
    const k = lab.keel("h2", conf);
    await k.waitFor(/Startup complete/);
    expect(lab.hasAddr("h2", "10.97.0.5", "lan0")).toBe(true);
    k.kill("SIGTERM");
    expect(await k.exited).toBe(0);
  });

  test("promote_secondaries: set on the instance's interface and reset at stop; a VMAC always has it", async () => {
    const conf =
      "global_defs {\n  vmac_prefix kv\n}\n" +
      instance({ name: "VI_1", vrid: 71, priority: 100, vips: ["10.99.0.171/32"], extra: ["promote_secondaries"] }) +
      instance({ name: "VI_2", vrid: 72, priority: 100, vips: ["10.99.0.172/32"], useVmac: true });
    const get = (dev: string) => lab.exec("h2", ["cat", `/proc/sys/net/ipv4/conf/${dev}/promote_secondaries`]).trim();
    expect(get("eth0")).toBe("0");
    const k = lab.keel("h2", conf);
    await k.waitFor(/\(VI_1\) Entering MASTER STATE/);
    await k.waitFor(/\(VI_2\) Entering MASTER STATE/);
    expect(get("eth0")).toBe("1");
    // named by vmac_prefix (keepalived create_vmac_name: PREFIX.VRID)
    expect(get("kv.72")).toBe("1");
    k.kill("SIGTERM");
    expect(await k.exited).toBe(0);
    expect(get("eth0")).toBe("0");
  });

  test("an IPv6 link-local that fails DAD holds the instance in FAULT; a fresh one brings it up", async () => {
    // eth6 in h1 <-> d1 in h2; h2 already holds fe80::99 on its end
    lab.exec("h1", ["ip", "link", "add", "eth6", "type", "veth", "peer", "name", "d1", "netns", lab.ns("h2")]);
    lab.exec("h1", ["ip", "link", "set", "eth6", "addrgenmode", "none"]);
    lab.exec("h1", ["sysctl", "-qw", "net.ipv6.conf.eth6.accept_dad=1", "net.ipv6.conf.eth6.dad_transmits=1"]);
    lab.exec("h2", ["ip", "link", "set", "d1", "addrgenmode", "none"]);
    lab.exec("h2", ["ip", "addr", "add", "fe80::99/64", "dev", "d1", "nodad"]);
    lab.exec("h2", ["ip", "link", "set", "d1", "up"]);
    lab.exec("h1", ["ip", "link", "set", "eth6", "up"]);
    const conf =
      GLOBAL +
      instance({ name: "VI_1", vrid: 61, version: 3, priority: 100, vips: ["fd00:98::100/64"] }).replace(
        "interface eth0",
        "interface eth6",
      );
    const k = lab.keel("h1", conf);
    await k.waitFor(/\(VI_1\) no address to send adverts from on eth6: no IPv6 link-local address/);
    // in FAULT from the start: vrrp_complete_init's line (no "(init)" line)
    await k.waitFor(/\(VI_1\) entering FAULT state$/);
    lab.exec("h1", ["ip", "addr", "add", "fe80::99/64", "dev", "eth6"]);
    await k.waitFor(/fe80::99 on eth6 failed duplicate address detection \(dadfailed\)/);
    await k.waitFor(/\(VI_1\) no address to send adverts from on eth6: fe80::99 failed duplicate address detection/);
    const sock = `${lab.tmpdir("h1")}/keel-${lab.keels.indexOf(k)}.sock`;
    expect(status(sock).instances[0].state).toBe("FAULT");
    expect(explain(sock)).toContain("fe80::99 failed duplicate address detection (dadfailed)");

    // the duplicate goes; the address is added again and passes DAD this time
    lab.exec("h2", ["ip", "addr", "del", "fe80::99/64", "dev", "d1"]);
    const from = k.lines.length;
    lab.exec("h1", ["ip", "addr", "del", "fe80::99/64", "dev", "eth6"]);
    lab.exec("h1", ["ip", "addr", "add", "fe80::99/64", "dev", "eth6"]);
    // tentative again: taken at once, as keepalived takes it
    await k.waitFor(/\(VI_1\) sending adverts from fe80::99 on eth6/, undefined, from);
    await k.waitFor(/fe80::99 on eth6 passed duplicate address detection/, undefined, from);
    await k.waitFor(/\(VI_1\) Entering BACKUP STATE/, undefined, from);
    await k.waitFor(/\(VI_1\) Entering MASTER STATE/, undefined, from);
    expect(lab.hasAddr("h1", "fd00:98::100", "eth6")).toBe(true);
    k.kill("SIGTERM");
    expect(await k.exited).toBe(0);
  });
});
