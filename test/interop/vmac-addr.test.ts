/**
 * use_vmac_addr, a VIP's own use_vmac, vmac_addr_prefix and garp_extra_if against
 * Debian's keepalived 2.2.7: one host with three interfaces, the same config run by
 * keepalived, then by keel (keepalived vrrp.c vrrp_complete_instance and
 * vrrp_send_vmac_update; the rules at the top of src/runtime/vmac-addr.ts).
 *
 * Both must make the same address VMACs (vx.51 on eth1 for the VIP with `dev eth1`,
 * vx1.51 on eth2 for the VIP with `use_vmac`: private macvlans with the VRRP MAC), put
 * those VIPs on them, send their takeover GARPs from them, then one GARP on each every
 * garp_extra_if seconds while MASTER (and none more on eth0, the instance's own
 * interface), and delete them at stop. Counts and gaps are read from captures on the
 * veth peers; nothing waits on a fixed sleep: each run ends at the fourth "gratuitous ARPs
 * on vx.51" and "on vx1.51" lines (the takeover, then three extra-if rounds, of which the
 * capture must hold the first two).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { HOOK_TIMEOUT_MS, Lab, type Proc, ensureKeel } from "../netns/harness";

const EXTRA_S = 2;
const MAC = "00:00:5e:00:01:33";
const CONF = `global_defs {
  router_id vmacaddr
  vmac_addr_prefix vx
  vrrp_garp_master_delay 0
}
vrrp_instance VI_1 {
  interface eth0
  state MASTER
  virtual_router_id 51
  priority 150
  advert_int 1
  use_vmac_addr
  garp_extra_if ${EXTRA_S}
  virtual_ipaddress {
    10.99.0.100/24
    10.98.0.100/24 dev eth1
    10.97.0.100/24 dev eth2 use_vmac
  }
}
`;

let lab: Lab;
beforeAll(() => {
  ensureKeel();
  lab = Lab.create(["h1"]);
  // two more interfaces, each a veth whose peer (ethNp) stays in h1: captures read the peer
  for (const i of [1, 2]) {
    lab.exec("h1", ["ip", "link", "add", `eth${i}`, "type", "veth", "peer", "name", `eth${i}p`]);
    lab.exec("h1", ["ip", "link", "set", `eth${i}`, "up"]);
    lab.exec("h1", ["ip", "link", "set", `eth${i}p`, "up"]);
  }
  lab.exec("h1", ["ip", "addr", "add", "10.98.0.11/24", "dev", "eth1"]);
}, HOOK_TIMEOUT_MS);
afterAll(() => lab?.destroy());

interface LinkJson {
  ifname: string;
  link?: string;
  address: string;
  operstate: string;
  linkinfo?: { info_kind: string; info_data?: { mode?: string } };
  addr_info?: { local: string; prefixlen: number; family: string }[];
}

/** What a VMAC looks like from outside: kind, mode, parent, MAC, state, IPv4 addresses. */
function vmacs(): Record<string, string> {
  const links = JSON.parse(lab.exec("h1", ["ip", "-j", "-d", "link", "show"])) as LinkJson[];
  const addrs = JSON.parse(lab.exec("h1", ["ip", "-j", "addr", "show"])) as LinkJson[];
  const out: Record<string, string> = {};
  for (const l of links) {
    if (l.linkinfo?.info_kind !== "macvlan") continue;
    const v4 = (addrs.find((a) => a.ifname === l.ifname)?.addr_info ?? [])
      .filter((a) => a.family === "inet")
      .map((a) => `${a.local}/${a.prefixlen}`);
    out[l.ifname] = `${l.linkinfo.info_kind} ${l.linkinfo.info_data?.mode} on ${l.link} ${l.address} ${v4.join(",")}`;
  }
  return out;
}

/** The `n`th line matching `re` (from 1). */
async function nth(p: Proc, re: RegExp, n: number): Promise<void> {
  let from = 0;
  for (let i = 0; i < n; i++) {
    const line = await p.waitFor(re, 30_000, from);
    from = p.lines.indexOf(line) + 1;
  }
}

interface Run {
  links: Record<string, string>;
  after: Record<string, string>;
  /** ARP sender address and epoch seconds, per captured interface */
  arps: Record<string, [string, number][]>;
}

async function run(kind: "keel" | "keepalived"): Promise<Run> {
  const path = `${lab.dir}/${kind}-extra.pcap`;
  const cap = lab.spawn("h1", ["dumpcap", "-q", "-i", "eth0", "-i", "eth1p", "-i", "eth2p", "-f", "arp", "-w", path]);
  await cap.waitFor(/File:|Capturing/, 10_000).catch(() => undefined);
  const p = kind === "keel" ? lab.keel("h1", CONF) : lab.keepalived("h1", CONF);
  await p.waitFor(/\(VI_1\) Entering MASTER STATE/, 30_000);
  // the takeover and three extra-if rounds on each VMAC: the capture must hold two of them,
  // and the last one logged may not have reached the capture file yet when it stops
  // (dumpcap delivers in blocks; frames read after SIGTERM are lost)
  for (const vmac of ["vx\\.51", "vx1\\.51"])
    await nth(p, new RegExp(`\\(VI_1\\) Sending\\/queueing gratuitous ARPs on ${vmac} `), 4);
  const links = vmacs();
  p.kill("SIGTERM");
  await p.exited;
  const after = vmacs();
  cap.kill("SIGTERM");
  await cap.exited;
  const arps: Record<string, [string, number][]> = {};
  for (const [ifname, src, addr, t] of lab.tshark(path, "arp", [
    "frame.interface_name",
    "eth.src",
    "arp.src.proto_ipv4",
    "frame.time_epoch",
  ]))
    if (src === MAC || ifname === "eth0") {
      const list = arps[ifname as string] ?? [];
      list.push([addr as string, Number(t)]);
      arps[ifname as string] = list;
    }
  return { links, after, arps };
}

/** Gaps (s) between GARP rounds: frames closer than 0.5 s are one round (the takeover burst). */
function rounds(frames: [string, number][], addr: string): number[] {
  const t = frames.filter(([a]) => a === addr).map(([, x]) => x);
  const starts = t.filter((x, i) => i === 0 || x - (t[i - 1] as number) > 0.5);
  return starts.slice(1).map((x, i) => x - (starts[i] as number));
}

describe("use_vmac_addr and garp_extra_if: keepalived and keel", () => {
  const runs: Partial<Record<"keel" | "keepalived", Run>> = {};

  for (const kind of ["keepalived", "keel"] as const)
    test(`${kind}: address VMACs vx.51 and vx1.51, their takeover GARPs, then one every ${EXTRA_S} s`, async () => {
      const r = await run(kind);
      runs[kind] = r;
      expect(r.links).toEqual({
        "vx.51": `macvlan private on eth1 ${MAC} 10.98.0.100/24`,
        "vx1.51": `macvlan private on eth2 ${MAC} 10.97.0.100/24`,
      });
      expect(r.after).toEqual({});
      for (const [ifname, addr] of [
        ["eth1p", "10.98.0.100"],
        ["eth2p", "10.97.0.100"],
      ] as const) {
        const gaps = rounds(r.arps[ifname] ?? [], addr);
        // the takeover burst, then at least two extra-if rounds, each a whole interval apart
        expect(gaps.length).toBeGreaterThanOrEqual(2);
        for (const g of gaps) expect(g).toBeGreaterThan(EXTRA_S - 0.1);
      }
      // the instance's own interface: the takeover burst only
      expect(rounds(r.arps.eth0 ?? [], "10.99.0.100")).toEqual([]);
      expect((r.arps.eth0 ?? []).length).toBeGreaterThan(0);
    }, 90_000);

  test("keel's takeover burst on each interface has keepalived's count", () => {
    const count = (r: Run | undefined, ifname: string) => {
      const t = (r?.arps[ifname] ?? []).map(([, x]) => x);
      return t.filter((x) => x - (t[0] as number) < 0.5).length;
    };
    for (const ifname of ["eth0", "eth1p", "eth2p"])
      expect(count(runs.keel, ifname)).toBe(count(runs.keepalived, ifname));
  });
});
