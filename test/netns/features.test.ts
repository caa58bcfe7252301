/**
 * The runtime's other paths on real interfaces: IPv6 (VRRPv3, link-local source,
 * unsolicited NA), use_vmac, unicast peers with no multicast, virtual_routes that come
 * and go with the MASTER state.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Lab, type Proc, ensureKeel, instance, masterFirst } from "./harness";

const GLOBAL = "global_defs {\n  router_id test\n}\n";

beforeAll(() => {
  ensureKeel();
});

async function pair(lab: Lab, conf: (prio: number, host: string) => string): Promise<{ h1: Proc; h2: Proc }> {
  const { master, backup } = await masterFirst(
    () => lab.keel("h1", conf(150, "h1")),
    () => lab.keel("h2", conf(100, "h2")),
  );
  return { h1: master, h2: backup };
}

describe("IPv6, VRRPv3", () => {
  let lab: Lab;
  beforeAll(() => {
    lab = Lab.create(["h1", "h2"], { ipv6: true });
  });
  afterAll(() => lab?.destroy());

  test("an IPv6 VIP on the master, adverts from the link-local to ff02::12 with hop limit 255, unsolicited NA", async () => {
    const VIP6 = "fd00:99::100";
    const cap = await lab.capture("h2", "ip6");
    const conf = (prio: number) => GLOBAL + instance({ priority: prio, version: 3, vips: [`${VIP6}/64`] });
    const { h1, h2 } = await pair(lab, conf);
    expect(lab.hasAddr("h1", VIP6)).toBe(true);
    expect(lab.hasAddr("h2", VIP6)).toBe(false);
    await Bun.sleep(2_300);
    const pcap = await cap.stop();
    const adverts = lab.tshark(pcap, "vrrp", [
      "ipv6.src",
      "ipv6.dst",
      "ipv6.hlim",
      "vrrp.version",
      "vrrp.prio",
      "vrrp.checksum.status",
      "vrrp.ipv6_addr",
    ]);
    const fromH1 = adverts.filter((a) => a[4] === "150");
    expect(fromH1.length).toBeGreaterThanOrEqual(2);
    for (const [src, dst, hlim, ver, , checksum, addr] of fromH1) {
      expect(src?.startsWith("fe80::")).toBe(true);
      expect({ dst, hlim, ver, checksum, addr }).toEqual({
        dst: "ff02::12",
        hlim: "255",
        ver: "3",
        checksum: "1",
        addr: VIP6,
      });
    }
    // RFC 4861 7.2.6 unsolicited NA: to all-nodes, override flag, target = the VIP
    const nas = lab.tshark(pcap, `icmpv6.type == 136 && icmpv6.nd.na.target_address == ${VIP6}`, [
      "ipv6.dst",
      "ipv6.hlim",
      "icmpv6.nd.na.flag.o",
      "icmpv6.checksum.status",
    ]);
    expect(nas.length).toBeGreaterThanOrEqual(1);
    expect(nas[0]).toEqual(["ff02::1", "255", "1", "1"]);

    // and it fails over like IPv4
    const watch = await lab.watchAddr("h2", VIP6);
    h1.kill("SIGKILL");
    await watch.wait();
    watch.stop();
    await h2.waitFor(/\(VI_1\) Entering MASTER STATE/);
  }, 30_000);
});

describe("use_vmac", () => {
  let lab: Lab;
  beforeAll(() => {
    lab = Lab.create(["h1", "h2"]);
  });
  afterAll(() => lab?.destroy());

  test("the VIP lives on vrrp.51 with MAC 00:00:5e:00:01:33; adverts leave from that MAC; the VMAC goes on stop", async () => {
    const cap = await lab.capture("h2", "ip proto 112");
    const conf = (prio: number) => GLOBAL + instance({ priority: prio, useVmac: true });
    const { h1 } = await pair(lab, conf);
    const link = JSON.parse(lab.exec("h1", ["ip", "-j", "-d", "link", "show", "vrrp.51"])) as {
      address: string;
      linkinfo: { info_kind: string; info_data: { mode: string } };
    }[];
    expect(link[0]?.address).toBe("00:00:5e:00:01:33");
    expect(link[0]?.linkinfo.info_kind).toBe("macvlan");
    expect(link[0]?.linkinfo.info_data.mode).toBe("private");
    expect(lab.hasAddr("h1", "10.99.0.100", "vrrp.51")).toBe(true);
    await Bun.sleep(1_500);
    const pcap = await cap.stop();
    const macs = lab.tshark(pcap, `vrrp && ip.src == ${lab.ip("h1")}`, ["eth.src"]);
    expect(macs.length).toBeGreaterThanOrEqual(1);
    expect(new Set(macs.map((m) => m[0]))).toEqual(new Set(["00:00:5e:00:01:33"]));
    h1.kill("SIGTERM");
    expect(await h1.exited).toBe(0);
    expect(lab.exec("h1", ["ip", "link", "show", "vrrp.51"], { allowFail: true })).toBe("");
  }, 30_000);
});

describe("unicast peers", () => {
  let lab: Lab;
  beforeAll(() => {
    lab = Lab.create(["h1", "h2"]);
  });
  afterAll(() => lab?.destroy());

  test("adverts go to the peer only, never to the multicast group; a crash still moves the VIP", async () => {
    const cap = await lab.capture("h2", "ip proto 112");
    const conf = (prio: number, host: string) =>
      GLOBAL +
      instance({ priority: prio, unicastSrc: lab.ip(host), unicastPeers: [lab.ip(host === "h1" ? "h2" : "h1")] });
    const { h1, h2 } = await pair(lab, conf);
    await Bun.sleep(1_500);
    const pcap = await cap.stop();
    const dsts = lab.tshark(pcap, "vrrp", ["ip.src", "ip.dst"]);
    expect(dsts.length).toBeGreaterThanOrEqual(2);
    expect(dsts.filter(([, d]) => d === "224.0.0.18")).toEqual([]);
    expect(dsts.filter(([s]) => s === lab.ip("h1")).every(([, d]) => d === lab.ip("h2"))).toBe(true);
    const watch = await lab.watchAddr("h2", "10.99.0.100");
    h1.kill("SIGKILL");
    await watch.wait();
    watch.stop();
    await h2.waitFor(/\(VI_1\) Entering MASTER STATE/);
  }, 30_000);
});

describe("virtual_routes", () => {
  let lab: Lab;
  beforeAll(() => {
    lab = Lab.create(["h1", "h2"]);
  });
  afterAll(() => lab?.destroy());

  test("static_ipaddress and static_routes: installed at start on every host, removed at stop", async () => {
    const statics =
      "static_ipaddress {\n  172.31.0.1/24 dev eth0\n}\nstatic_routes {\n  203.0.113.0/24 via 172.31.0.254 dev eth0\n}\n";
    const k = lab.keel("h2", GLOBAL + statics + instance({ vrid: 77, priority: 100, vips: ["10.99.0.177/32"] }));
    await k.waitFor(/Startup complete/);
    expect(lab.hasAddr("h2", "172.31.0.1")).toBe(true);
    expect(lab.exec("h2", ["ip", "route", "show"])).toContain("203.0.113.0/24 via 172.31.0.254 dev eth0");
    k.kill("SIGTERM");
    expect(await k.exited).toBe(0);
    expect(lab.hasAddr("h2", "172.31.0.1")).toBe(false);
    expect(lab.exec("h2", ["ip", "route", "show"])).not.toContain("203.0.113.0/24");
  }, 20_000);

  test("installed on MASTER, removed on leaving it", async () => {
    const extra = [
      "virtual_routes {",
      "  192.0.2.0/24 via 10.99.0.1 dev eth0 metric 7",
      "  blackhole 198.51.100.0/24 table 100",
      "}",
    ];
    const conf = (prio: number) => GLOBAL + instance({ priority: prio, extra });
    const { h1 } = await pair(lab, conf);
    const routes = (host: string, table = "main") => lab.exec(host, ["ip", "route", "show", "table", table]);
    // keepalived marks its routes with protocol keepalived (18), so does keel
    expect(routes("h1")).toContain("192.0.2.0/24 via 10.99.0.1 dev eth0 proto keepalived metric 7");
    expect(routes("h1", "100")).toContain("blackhole 198.51.100.0/24");
    expect(routes("h2")).not.toContain("192.0.2.0/24");
    const h2 = lab.keelOf("h2");
    const m = h2.lines.length;
    h1.kill("SIGTERM");
    await h2.waitFor(/\(VI_1\) Entering MASTER STATE/, 5_000, m);
    await h1.exited;
    expect(routes("h1")).not.toContain("192.0.2.0/24");
    expect(routes("h1", "100")).not.toContain("198.51.100.0/24");
    expect(routes("h2")).toContain("192.0.2.0/24 via 10.99.0.1 dev eth0 proto keepalived metric 7");
  }, 30_000);
});
