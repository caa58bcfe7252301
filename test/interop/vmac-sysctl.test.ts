/**
 * The interface parameters on VMACs and their parents against Debian's keepalived 2.2.7
 * (vrrp_if_config.c set_interface_parameters / reset_interface_parameters, called from
 * vrrp_vmac.c netlink_link_add_vmac / netlink_link_del_vmac; src/runtime/vmac-sysctl.ts).
 * One host; before each daemon every interface's arp_ignore, arp_filter, accept_local and
 * promote_secondaries are 0 and rp_filter 1 (all.rp_filter stays 0, so keepalived's
 * clear_rp_filter does nothing); then keepalived, then keel, runs:
 *
 * - A and B (VRIDs 61, 62): IPv4 instances with use_vmac on eth0 (a veth): their VMACs get
 *   arp_ignore=1 accept_local=1 rp_filter=0 promote_secondaries=1, eth0 arp_ignore=1
 *   arp_filter=1 (set for the first, counted for the second);
 * - Q (VRID 66, `use_vmac oldQ`) on eth0 and R (VRID 63, `use_vmac oldR`) on eth1: leftover
 *   private macvlans with their VRRP MACs, reused as they are (create_interface false):
 *   nothing on oldQ, oldR or eth1;
 * - S (VRID 64): an IPv6 instance with use_vmac on eth2: nothing on its VMAC or eth2;
 * - H (VRID 65, on eth0 without use_vmac): a VIP `dev eth3 use_vmac` gets an address VMAC
 *   vrrp.65 on eth3, made through the same netlink_link_add_vmac (a dummy vrrp_t of the
 *   address's family): vrrp.65 the VMAC's four, eth3 the parent's two.
 *
 * The five are read on each interface once the daemon says "Startup complete" (the VMACs
 * are made before it), and again after it stopped (the VMACs gone). Before the stop eth0's
 * arp_ignore is set to 3 by hand: keepalived's reset_interface_parameters, when eth0's
 * count ends, writes eth0's arp_ignore/arp_filter back as its netlink view holds them,
 * which its own set refreshed (the RTM_NEWLINK it reflects; a sysctl write sends none):
 * eth0 is 1/1 again, not 0/0 as before it started, nor 3 (seen live). Two more runs reload
 * before the stop (3 by hand before the reload and again before the stop), to a
 * configuration without A and B, then without A and Q: the count ends with the reload
 * both times, since netlink_link_del_vmac counts a reused VMAC's removal as well (Q's), so
 * the stop then writes nothing (B's removal) and the 3 stays. keel's values must be
 * keepalived's, each time.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { HOOK_TIMEOUT_MS, Lab, type Proc, ensureKeel, eventually } from "../netns/harness";

const inst = (name: string, vrid: number, dev: string, vmac: string, vip: string) => `vrrp_instance ${name} {
  interface ${dev}
  state MASTER
  virtual_router_id ${vrid}
  priority 150
  advert_int 1
  ${vmac}
  virtual_ipaddress {
    ${vip}
  }
}
`;
const INSTANCES: Record<string, string> = {
  A: inst("A", 61, "eth0", "use_vmac", "10.99.0.161/24"),
  B: inst("B", 62, "eth0", "use_vmac", "10.99.0.162/24"),
  Q: inst("Q", 66, "eth0", "use_vmac oldQ", "10.99.0.166/24"),
  R: inst("R", 63, "eth1", "use_vmac oldR", "10.98.0.163/24"),
  S: inst("S", 64, "eth2", "use_vmac", "2001:db8:64::100/64"),
  H: inst("H", 65, "eth0", "", "10.99.0.165/24\n    10.97.0.165/24 dev eth3 use_vmac"),
};
/** the configuration without the instances named */
const conf = (without: string[] = []) => `global_defs {
  router_id vmacsysctl
  vrrp_garp_master_delay 0
}
${Object.entries(INSTANCES)
  .filter(([name]) => !without.includes(name))
  .map(([, text]) => text)
  .join("")}`;
/** leftovers made before each start: name, parent, VRID of the VRRP MAC */
const LEFTOVERS: [string, string, number][] = [
  ["oldQ", "eth0", 66],
  ["oldR", "eth1", 63],
];

const KEYS = ["arp_ignore", "arp_filter", "accept_local", "rp_filter", "promote_secondaries"] as const;
/** where the five are read: the parents, then the VMACs as keepalived names them */
const IFS = ["eth0", "eth1", "eth2", "eth3", "vrrp.61", "vrrp.62", "oldQ", "oldR", "vrrp.64", "vrrp.65"];
/** what each interface starts with (a new one takes default's) */
const START: Record<(typeof KEYS)[number], number> = {
  arp_ignore: 0,
  arp_filter: 0,
  accept_local: 0,
  rp_filter: 1,
  promote_secondaries: 0,
};

let lab: Lab;
beforeAll(() => {
  ensureKeel();
  if (!Bun.which("keepalived")) throw new Error("keepalived (Debian's 2.2.7) is needed");
  lab = Lab.create(["h1"], { ipv6: true, prefix: "kvs-" });
  // two more interfaces (no dummy module here): veths whose peers stay in h1
  for (const i of ["eth1", "eth2", "eth3"]) {
    lab.exec("h1", ["ip", "link", "add", i, "type", "veth", "peer", "name", `${i}p`]);
    for (const x of [i, `${i}p`]) lab.exec("h1", ["ip", "link", "set", x, "up"]);
  }
  lab.exec("h1", ["ip", "addr", "add", "10.98.0.11/24", "dev", "eth1"]);
  lab.exec("h1", ["sysctl", "-qw", ...KEYS.map((k) => `net.ipv4.conf.default.${k}=${START[k]}`)]);
}, HOOK_TIMEOUT_MS);
afterAll(() => lab?.destroy());

function macvlans(): string[] {
  const links = JSON.parse(lab.exec("h1", ["ip", "-j", "-d", "link", "show"])) as {
    ifname: string;
    linkinfo?: { info_kind: string };
  }[];
  return links.filter((l) => l.linkinfo?.info_kind === "macvlan").map((l) => l.ifname);
}

/** Every macvlan gone, the parents at START, the leftovers made again (at START: default's). */
function prepare(): void {
  for (const l of macvlans()) lab.exec("h1", ["ip", "link", "del", l]);
  for (const dev of ["eth0", "eth1", "eth2", "eth3"])
    lab.exec("h1", ["sysctl", "-qw", ...KEYS.map((k) => `net.ipv4.conf.${dev}.${k}=${START[k]}`)]);
  for (const [name, parent, vrid] of LEFTOVERS) {
    const mac = `00:00:5e:00:01:${vrid.toString(16)}`;
    lab.exec("h1", ["ip", "link", "add", name, "link", parent, "address", mac, "type", "macvlan", "mode", "private"]);
    lab.exec("h1", ["ip", "link", "set", name, "up"]);
  }
}

/** The five on each interface ("gone": no such interface). */
function read(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const dev of IFS) {
    const vals = KEYS.map((k) =>
      lab.exec("h1", ["cat", `/proc/sys/net/ipv4/conf/${dev}/${k}`], { allowFail: true }).trim(),
    );
    out[dev] = vals.every((v) => v === "") ? "gone" : KEYS.map((k, i) => `${k}=${vals[i]}`).join(" ");
  }
  return out;
}

/** eth0's arp_ignore changed by hand (a sysctl write: no RTM_NEWLINK, keepalived's view stays) */
const byHand = () => lab.exec("h1", ["sysctl", "-qw", "net.ipv4.conf.eth0.arp_ignore=3"]);

interface Run {
  up: Record<string, string>;
  /** after a reload that removed some of eth0's VMACs, eth0's arp_ignore at 3 before it */
  reloaded?: Record<string, string>;
  /** after stop, eth0's arp_ignore at 3 before it */
  stopped: Record<string, string>;
  lines: string[];
}

type Kind = "keel" | "keepalived";
const vmacOf = (instance: string) => ({ A: "vrrp.61", B: "vrrp.62", Q: "oldQ" })[instance] ?? instance;

/** `removed`: before the stop, a reload to the configuration without these instances (with VMACs of their own). */
async function run(kind: Kind, removed?: string[]): Promise<Run> {
  prepare();
  const p: Proc = kind === "keel" ? lab.keel("h1", conf()) : lab.keepalived("h1", conf());
  const out: Run = { up: {}, stopped: {}, lines: [] };
  try {
    await p.waitFor(/Startup complete/, 30_000);
    out.up = read();
    if (removed) {
      byHand();
      lab.file(kind === "keel" ? "h1.conf" : "h1-ka.conf", conf(removed));
      p.kill("SIGHUP");
      // netlink_link_del_vmac resets the parent before it deletes the link
      const vmacs = removed.map(vmacOf);
      await eventually(() => !macvlans().some((l) => vmacs.includes(l)), 30_000, 100);
      out.reloaded = read();
    }
    byHand();
  } finally {
    p.kill("SIGTERM");
    await p.exited;
  }
  out.stopped = read();
  out.lines = p.lines
    .map((l) => l.text.replace(/^.*?\d{4}: /, ""))
    .filter((t) => /parameters for|base flags|reset interface flags/.test(t));
  return out;
}

const line = (v: Partial<typeof START>) => KEYS.map((k) => `${k}=${v[k] ?? START[k]}`).join(" ");
const VMAC = line({ arp_ignore: 1, accept_local: 1, rp_filter: 0, promote_secondaries: 1 });
const PARENT = line({ arp_ignore: 1, arp_filter: 1 });
const UNTOUCHED = line({});
const GONE = { "vrrp.61": "gone", "vrrp.62": "gone", oldQ: "gone", oldR: "gone", "vrrp.64": "gone", "vrrp.65": "gone" };
const UP = {
  eth0: PARENT,
  eth1: UNTOUCHED,
  eth2: UNTOUCHED,
  eth3: PARENT,
  "vrrp.61": VMAC,
  "vrrp.62": VMAC,
  oldQ: UNTOUCHED,
  oldR: UNTOUCHED,
  "vrrp.64": UNTOUCHED,
  "vrrp.65": VMAC,
};

const HAND = line({ arp_ignore: 3, arp_filter: 1 });
const STOPPED = { eth1: UNTOUCHED, eth2: UNTOUCHED, eth3: PARENT, ...GONE };

/** How each run ends: a stop, or a reload removing some of eth0's VMACs first. */
const HOW: Record<string, string[] | undefined> = {
  stop: undefined,
  "reload without A and B": ["A", "B"],
  "reload without A and Q": ["A", "Q"],
};

/** What keepalived 2.2.7 did (seen live, this test's first runs). */
const EXPECTED: Record<string, Run> = {
  stop: {
    up: UP,
    // reset_interface_parameters wrote back its netlink view of eth0: its own 1/1, not the 3
    stopped: { eth0: PARENT, ...STOPPED },
    lines: [],
  },
  "reload without A and B": {
    up: UP,
    // the last of eth0's created VMACs removed: the same write-back
    reloaded: { ...UP, eth0: PARENT, "vrrp.61": "gone", "vrrp.62": "gone" },
    // at stop oldQ (reused) goes: nothing relies on eth0 any more, the 3 stays
    stopped: { eth0: HAND, ...STOPPED },
    lines: [],
  },
  "reload without A and Q": {
    up: UP,
    // oldQ, reused, counts at its removal all the same (netlink_link_del_vmac): A and it
    // take eth0's count from 2 to 0, so the write-back comes now, with B still there
    reloaded: { ...UP, eth0: PARENT, "vrrp.61": "gone", oldQ: "gone" },
    // and B's removal at stop writes nothing
    stopped: { eth0: HAND, ...STOPPED },
    lines: [],
  },
};

describe("VMAC and parent interface parameters: keepalived 2.2.7 and keel", () => {
  const seen: Partial<Record<string, Run>> = {};
  for (const [how, removed] of Object.entries(HOW))
    for (const kind of ["keepalived", "keel"] as const)
      test(`${kind}, ${how}: a created IPv4 VMAC's four and its parent's two, written back when the count ends; nothing for a reused or an IPv6 one`, async () => {
        seen[`${kind} ${how}`] = await run(kind, removed);
        expect(seen[`${kind} ${how}`]).toEqual(EXPECTED[how] as Run);
      }, 90_000);
  test("keel's values are keepalived's", () => {
    for (const how of Object.keys(HOW)) {
      const [ka, keel] = [seen[`keepalived ${how}`], seen[`keel ${how}`]];
      if (!ka || !keel) throw new Error(`a ${how} run above did not finish`);
      expect(keel).toEqual(ka);
    }
  });
});
