/**
 * Runs INSIDE the VM (test/vm/ifaces.test.ts boots it with the ipvlan and vrf modules,
 * which the build machine's own kernel lacks): use_ipvlan, and VMACs and ipvlans of an
 * interface enslaved to a VRF, under keepalived 2.2.7 and then keel with one config.
 *
 *   h1 eth0 (10.30.0.1) ── br0 ── peer eth0 (10.30.0.2)
 *   h1 eth1 (10.40.0.1, enslaved to vrf0, table 10) ── br1 ── peer eth1
 *
 * VI_1: use_ipvlan iv51 10.30.0.51/24 private on eth0; VI_2: use_vmac on eth1; VI_3:
 * use_ipvlan iv53 10.50.0.53/24 on eth2 (10.50.0.1, also in vrf0: a link cannot hold a
 * macvlan and an ipvlan at once). For each daemon, once all three are MASTER:
 * the interfaces as `ip -d -j link` shows them (kind, mode/flags, parent, VRF master,
 * MAC), their addresses and where the VIPs went, VRF table 10's routes, and VI_1's adverts as the peer sees them
 * (source 10.30.0.51 from eth0's MAC). keel's must equal keepalived's; after SIGTERM the
 * interfaces are gone.
 *
 * Then `vrf` (issue 16): VI_4, a unicast instance with no interface and `vrf vrf0`, its
 * source 10.40.0.1 on eth1 (in vrf0), its peer keepalived 2.2.7 in the peer namespace on
 * eth1 (keepalived 2.2.7 cannot run the interfaceless side itself: "Unknown interface!",
 * fixed in 2.2.8). 10.40.0.0/24 is routed only in vrf0's table 10, and 10.40.0.1 can be
 * bound only from inside vrf0: keel's socket must be in the VRF (SO_BINDTODEVICE vrf0) to
 * send or receive at all. keel as master (its adverts at the peer from 10.40.0.1, the
 * peer's keepalived stays BACKUP, the VIP on eth1 and its local route in table 10), then
 * keel stopped (keepalived takes over) and started again as the lower priority: it takes
 * keepalived's adverts through the VRF and stays BACKUP, then becomes MASTER when
 * keepalived stops.
 *
 * Then route `encap mpls` and `encap ila` (issue 16; modules mpls_router, mpls_iptunnel,
 * ila): the same virtual_routes under keepalived and keel, and through `ip route add`.
 * Prints "PASS: ..." / "FAIL: ..." lines.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { finish, ko, ok, sh } from "./report";

const REPO = join(import.meta.dir, "../../..");
const KEEL = join(REPO, "dist/keel");
const H1_MAC = "02:30:00:00:00:01";

// ---- topology ----
sh("ip link add br0 type bridge && ip link set br0 up && ip link add br1 type bridge && ip link set br1 up");
for (const n of ["h1", "peer"]) sh(`ip netns add ${n} && ip -n ${n} link set lo up`);
sh("ip link add h1a type veth peer name eth0 netns h1 && ip link set h1a master br0 up");
sh("ip link add h1b type veth peer name eth1 netns h1 && ip link set h1b master br1 up");
sh("ip link add pa type veth peer name eth0 netns peer && ip link set pa master br0 up");
sh("ip link add pb type veth peer name eth1 netns peer && ip link set pb master br1 up");
// an interface cannot have a macvlan and an ipvlan at once (EBUSY): VI_3's ipvlan goes on eth2
sh("ip link add h1c type veth peer name eth2 netns h1 && ip link set h1c up");
sh(`ip -n h1 link set eth0 address ${H1_MAC}`);
sh("ip -n h1 link add vrf0 type vrf table 10 && ip -n h1 link set vrf0 up");
sh("ip -n h1 link set eth1 master vrf0 && ip -n h1 link set eth2 master vrf0");
sh("ip -n h1 addr add 10.30.0.1/24 dev eth0 && ip -n h1 addr add 10.40.0.1/24 dev eth1");
sh("ip -n h1 addr add 10.50.0.1/24 dev eth2 && ip -n h1 link set eth2 up");
sh("ip -n peer addr add 10.30.0.2/24 dev eth0 && ip -n peer addr add 10.40.0.2/24 dev eth1");
for (const n of ["h1", "peer"])
  for (const d of ["eth0", "eth1"])
    sh(`ip -n ${n} link set ${d} up && ip netns exec ${n} sysctl -qw net.ipv6.conf.${d}.disable_ipv6=1`);

const dir = mkdtempSync("/tmp/keel-ifaces-");
const conf = join(dir, "ifaces.conf");
const instance = (name: string, vrid: number, iface: string, how: string, vip: string) => `vrrp_instance ${name} {
  state MASTER
  interface ${iface}
  virtual_router_id ${vrid}
  priority 150
  advert_int 1
  ${how}
  virtual_ipaddress {
    ${vip}
  }
}
`;
writeFileSync(
  conf,
  `global_defs {
  router_id ifaces
}
${instance("VI_1", 51, "eth0", "use_ipvlan iv51 10.30.0.51/24 private", "10.30.0.100/24")}
${instance("VI_2", 52, "eth1", "use_vmac", "10.40.0.100/24")}
${instance("VI_3", 53, "eth2", "use_ipvlan iv53 10.50.0.53/24", "10.50.0.153/24")}`,
);

interface LinkJson {
  ifname: string;
  link?: string;
  master?: string;
  address: string;
  operstate: string;
  linkinfo?: { info_kind: string; info_data?: Record<string, unknown> };
  addr_info?: { local: string; prefixlen: number; family: string }[];
}

/**
 * Every macvlan/ipvlan in h1 as one line each (kind, mode, parent, VRF master, MAC, IPv4
 * addresses, the kind's data as `ip -j` gives it), then eth0-2's IPv4 addresses: where the
 * VIPs went.
 */
function links(): string[] {
  const l = JSON.parse(sh("ip -n h1 -j -d link show")) as LinkJson[];
  const a = JSON.parse(sh("ip -n h1 -j addr show")) as LinkJson[];
  const v4 = (ifname: string) =>
    (a.find((y) => y.ifname === ifname)?.addr_info ?? [])
      .filter((y) => y.family === "inet")
      .map((y) => `${y.local}/${y.prefixlen}`)
      .sort()
      .join(",");
  const virtual = l
    .filter((x) => x.linkinfo?.info_kind === "macvlan" || x.linkinfo?.info_kind === "ipvlan")
    .map((x) => {
      const d = x.linkinfo?.info_data ?? {};
      return `${x.ifname} ${x.linkinfo?.info_kind} ${d.mode} on ${x.link} master ${x.master ?? "-"} ${x.address} ${v4(x.ifname)} ${JSON.stringify(d)}`;
    })
    .sort();
  if (virtual.length === 0) return [];
  return [...virtual, ...["eth0", "eth1", "eth2"].map((i) => `${i} ${v4(i)}`)];
}

/** VRF table 10's routes through the VMAC/ipvlan (the VIPs' prefixes land there). */
function vrfRoutes(): string[] {
  return sh("ip -n h1 route show table 10")
    .split("\n")
    .filter((r) => /vrrp|iv5/.test(r))
    .map((r) => r.replace(/\s+/g, " ").trim())
    .sort();
}

interface Run {
  links: string[];
  routes: string[];
  adverts: string[];
  after: string[];
}

async function run(kind: "keel" | "keepalived"): Promise<Run | undefined> {
  // VI_1's adverts at the peer, read live: one tshark start (seconds under emulation), not one per poll
  const cap = Bun.spawn(
    [
      ...["ip", "netns", "exec", "peer", "tshark", "-l", "-n", "-i", "eth0"],
      ...["-f", "ip proto 112 and ip[21] = 51", "-T", "fields", "-e", "ip.src", "-e", "eth.src"],
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
  const seen: string[] = [];
  const lines = async (s: ReadableStream<Uint8Array>, each: (l: string) => void) => {
    const dec = new TextDecoder();
    let buf = "";
    for await (const c of s) {
      buf += dec.decode(c, { stream: true });
      for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
        each(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    }
  };
  let listening: () => void = () => {};
  const ready = new Promise<void>((r) => {
    listening = r;
  });
  void lines(cap.stdout, (l) => l.length > 0 && seen.push(l));
  void lines(cap.stderr, (l) => /Capturing on/.test(l) && listening());
  await Promise.race([ready, Bun.sleep(120_000)]);
  const cmd =
    kind === "keel"
      ? [
          KEEL,
          "-n",
          "-l",
          "-G",
          "-f",
          conf,
          "-p",
          `${dir}/k.pid`,
          "-r",
          `${dir}/kv.pid`,
          "--control-socket",
          `${dir}/k.sock`,
        ]
      : [
          "keepalived",
          "-n",
          "-l",
          "-G",
          "-f",
          conf,
          "-p",
          `${dir}/a.pid`,
          "-r",
          `${dir}/av.pid`,
          "-c",
          `${dir}/ac.pid`,
        ];
  const p = Bun.spawn(["ip", "netns", "exec", "h1", ...cmd], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, TMPDIR: dir },
  });
  const log: string[] = [];
  let masters = 0;
  let done: () => void = () => {};
  const allMaster = new Promise<void>((r) => {
    done = r;
  });
  for (const s of [p.stdout, p.stderr])
    void (async () => {
      const dec = new TextDecoder();
      let buf = "";
      for await (const c of s) {
        buf += dec.decode(c, { stream: true });
        for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          log.push(line);
          console.log(`[${kind}] ${line}`);
          if (/Entering MASTER STATE/.test(line) && ++masters === 3) done();
        }
      }
    })();
  // a bound for a hung daemon under emulation, not a speed target
  const timeout = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 180_000));
  if ((await Promise.race([allMaster, timeout])) === "timeout") {
    ko(`${kind}: not all three instances MASTER within 180 s`);
    p.kill("SIGKILL");
    cap.kill("SIGTERM");
    return undefined;
  }
  // three adverts of VI_1 (one a second) reach the peer; the bound is for a hung capture
  for (let i = 0; i < 600 && seen.length < 3; i++) await Bun.sleep(100);
  const r: Run = { links: links(), routes: vrfRoutes(), adverts: [...new Set(seen)], after: [] };
  p.kill("SIGTERM");
  await p.exited;
  cap.kill("SIGTERM");
  await cap.exited;
  r.after = links();
  return r;
}

const runs: Partial<Record<"keel" | "keepalived", Run>> = {};
for (const kind of ["keepalived", "keel"] as const) {
  const r = await run(kind);
  if (!r) continue;
  runs[kind] = r;
  console.log(`${kind}: ${JSON.stringify(r, null, 1)}`);
  // keepalived 2.2.7 puts an ipvlan instance's VIPs on its interface (vrrp_complete_instance
  // moves them to vrrp->ifp for use_vmac only), a VMAC instance's on the VMAC
  const want = [
    /^iv51 ipvlan l2 on eth0 master - 02:30:00:00:00:01 10\.30\.0\.51\/24 /,
    /^iv53 ipvlan l2 on eth2 master vrf0 \S+ 10\.50\.0\.53\/24 /,
    /^vrrp\.52 macvlan private on eth1 master vrf0 00:00:5e:00:01:34 10\.40\.0\.100\/24 /,
    /^eth0 10\.30\.0\.1\/24,10\.30\.0\.100\/24$/,
    /^eth1 10\.40\.0\.1\/24$/,
    /^eth2 10\.50\.0\.1\/24,10\.50\.0\.153\/24$/,
  ];
  const ifs = r.links.length === want.length && want.every((re, i) => re.test(r.links[i] ?? ""));
  (ifs ? ok : ko)(`${kind}: ${r.links.join(" | ")}`);
  // the type (private) is in the kind's data when `ip -j` shows it: compared with keepalived below
  (r.adverts.length === 1 && r.adverts[0] === `10.30.0.51\t${H1_MAC}` ? ok : ko)(
    `${kind}: VI_1's adverts at the peer from ${r.adverts.join(", ")}`,
  );
  (r.routes.length >= 2 ? ok : ko)(`${kind}: VRF table 10 routes ${r.routes.join(" | ")}`);
  (r.after.length === 0 ? ok : ko)(`${kind}: after SIGTERM: ${r.after.join(" | ") || "no VMAC or ipvlan left"}`);
}
const k = runs.keel;
const a = runs.keepalived;
if (k && a) {
  (JSON.stringify(k.links) === JSON.stringify(a.links) ? ok : ko)("keel's interfaces are keepalived's");
  (JSON.stringify(k.routes) === JSON.stringify(a.routes) ? ok : ko)("keel's VRF routes are keepalived's");
} else ko("no comparison: a daemon failed");

// ---- vrf: a unicast instance without an interface, its socket in vrf0 ----

/** A daemon in a namespace with its lines collected, and a wait for one of them. */
function daemon(ns: string, tag: string, cmd: string[], tmp: string) {
  const p = Bun.spawn(["ip", "netns", "exec", ns, ...cmd], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, TMPDIR: tmp },
  });
  const log: string[] = [];
  const waiters: { re: RegExp; from: number; resolve: (l: string) => void }[] = [];
  for (const s of [p.stdout, p.stderr])
    void (async () => {
      const dec = new TextDecoder();
      let buf = "";
      for await (const c of s) {
        buf += dec.decode(c, { stream: true });
        for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          log.push(line);
          console.log(`[${tag}] ${line}`);
          for (const w of [...waiters])
            if (w.re.test(line)) {
              waiters.splice(waiters.indexOf(w), 1);
              w.resolve(line);
            }
        }
      }
    })();
  return {
    p,
    log,
    /** the first line from index `from` matching `re`; undefined after `ms` (a bound for a hang) */
    wait(re: RegExp, from = 0, ms = 120_000): Promise<string | undefined> {
      const have = log.slice(from).find((l) => re.test(l));
      if (have !== undefined) return Promise.resolve(have);
      return Promise.race([
        new Promise<string>((resolve) => waiters.push({ re, from, resolve })),
        Bun.sleep(ms).then(() => undefined),
      ]);
    },
    async stop(): Promise<void> {
      p.kill("SIGTERM");
      await p.exited;
    },
  };
}

const vrfInstance = (o: { iface?: string; vrf?: string; src: string; peer: string; priority: number }) => `global_defs {
  router_id ${o.iface ? "peer" : "h1"}
}
vrrp_instance VI_4 {
  state ${o.priority > 150 ? "MASTER" : "BACKUP"}
${o.iface ? `  interface ${o.iface}\n` : ""}${o.vrf ? `  vrf ${o.vrf}\n` : ""}  virtual_router_id 54
  priority ${o.priority}
  advert_int 1
  unicast_src_ip ${o.src}
  unicast_peer {
    ${o.peer}
  }
  virtual_ipaddress {
    10.40.0.104/24 dev eth1
  }
}
`;
const vdir = mkdtempSync("/tmp/keel-vrf-");
const keelConf = (priority: number) => {
  const path = join(vdir, `keel-${priority}.conf`);
  writeFileSync(path, vrfInstance({ vrf: "vrf0", src: "10.40.0.1", peer: "10.40.0.2", priority }));
  return path;
};
const kaConf = join(vdir, "peer-ka.conf");
writeFileSync(kaConf, vrfInstance({ iface: "eth1", src: "10.40.0.2", peer: "10.40.0.1", priority: 150 }));
// -D: the socket pool's lines are detail, as keepalived's dump_sock_list (read below)
const keelCmd = (conf: string, n: number) => [
  ...[KEEL, "-n", "-l", "-D", "-G", "-f", conf, "-p", `${vdir}/k${n}.pid`, "-r", `${vdir}/kv${n}.pid`],
  ...["--control-socket", `${vdir}/k${n}.sock`],
];
const kaCmd = [
  ...["keepalived", "-n", "-l", "-G", "-f", kaConf],
  ...["-p", `${vdir}/a.pid`, "-r", `${vdir}/av.pid`, "-c", `${vdir}/ac.pid`],
];
const hasVip = (ns: string) => sh(`ip -n ${ns} -4 -o addr show dev eth1`).includes(" 10.40.0.104/24 ");

// keel's -t: no error for the instance (the vrf exists; keepalived 2.2.7 is warned about)
const t = Bun.spawnSync(["ip", "netns", "exec", "h1", KEEL, "-t", "-f", keelConf(200)], {
  stdout: "pipe",
  stderr: "pipe",
});
const tText = `${t.stdout}${t.stderr}`;
(t.exitCode === 0 && !tText.includes("error[") && tText.includes("no-interface-keepalived") ? ok : ko)(
  `vrf: keel -t accepts VI_4 without interface in vrf0: ${tText.trim().replace(/\n/g, " | ")}`,
);

// keel the master: the peer sees its adverts, from 10.40.0.1, through the VRF
const cap = Bun.spawn(
  [
    ...["ip", "netns", "exec", "peer", "tshark", "-l", "-n", "-i", "eth1"],
    ...["-f", "ip proto 112 and ip[21] = 54 and src host 10.40.0.1", "-T", "fields", "-e", "ip.src", "-e", "ip.dst"],
  ],
  { stdout: "pipe", stderr: "pipe" },
);
const capLines: string[] = [];
let capReady: () => void = () => {};
const capListening = new Promise<void>((r) => {
  capReady = r;
});
void (async () => {
  for await (const c of cap.stdout) capLines.push(...new TextDecoder().decode(c).split("\n").filter(Boolean));
})();
void (async () => {
  for await (const c of cap.stderr) if (/Capturing on/.test(new TextDecoder().decode(c))) capReady();
})();
await Promise.race([capListening, Bun.sleep(120_000)]);

const k1 = daemon("h1", "keel-vrf", keelCmd(keelConf(200), 1), vdir);
const k1Master = await k1.wait(/\(VI_4\) Entering MASTER STATE/);
const sockpool = k1.log.find((l) => /VRRP sockpool: .*bound to 10\.40\.0\.1 in VRF vrf0/.test(l));
(k1Master && sockpool ? ok : ko)(
  `vrf: keel's VI_4 MASTER on a socket ${sockpool ?? "(no sockpool line bound in vrf0)"}`,
);
const ka = daemon("peer", "ka-vrf", kaCmd, vdir);
const kaBackup = await ka.wait(/\(VI_4\) Entering BACKUP STATE/);
// three of keel's adverts at the peer after keepalived started; the bound is for a hung capture
const seenAt = capLines.length;
for (let i = 0; i < 600 && capLines.length < seenAt + 3; i++) await Bun.sleep(100);
const fromKeel = [...new Set(capLines)];
(kaBackup && fromKeel.length === 1 && fromKeel[0] === "10.40.0.1\t10.40.0.2" ? ok : ko)(
  `vrf: the peer sees keel's adverts ${fromKeel.join(", ") || "(none)"}; keepalived ${kaBackup ? "BACKUP" : "not BACKUP"}`,
);
const table10 = sh("ip -n h1 route show table local 2>/dev/null; ip -n h1 route show table 10")
  .split("\n")
  .filter((r) => r.includes("10.40.0.104"));
(hasVip("h1") && !hasVip("peer") && table10.some((r) => /local 10\.40\.0\.104 dev eth1/.test(r)) ? ok : ko)(
  `vrf: VIP 10.40.0.104 on h1's eth1, its local route ${table10.join(" | ") || "(none)"}`,
);
// keepalived stayed BACKUP while keel was master, and takes over on keel's stop (its priority 0)
let at = ka.log.length;
const noDual = !ka.log.some((l) => /Entering MASTER STATE/.test(l));
await k1.stop();
const kaMaster = await ka.wait(/\(VI_4\) Entering MASTER STATE/, at);
(noDual && kaMaster && hasVip("peer") && !hasVip("h1") ? ok : ko)(
  `vrf: keepalived BACKUP while keel was master, MASTER after keel's stop (${kaMaster ?? "no MASTER line"})`,
);

// keel again as the lower priority: it takes keepalived's adverts through the VRF and stays BACKUP
const k2 = daemon("h1", "keel-vrf-2", keelCmd(keelConf(100), 2), vdir);
await k2.wait(/Startup complete/);
let received = 0;
// keepalived's adverts counted by keel (SIGUSR2 stats); the bound is for a hang
for (let i = 0; i < 120 && received < 3; i++) {
  k2.p.kill("SIGUSR2");
  await Bun.sleep(500);
  const stats = sh(`cat ${vdir}/keepalived.stats 2>/dev/null || true`);
  received = Number(/Received:\s*(\d+)/.exec(stats)?.[1] ?? 0);
}
const k2Backup = k2.log.some((l) => /\(VI_4\) Entering BACKUP STATE/.test(l));
const k2NoMaster = !k2.log.some((l) => /Entering MASTER STATE/.test(l));
(received >= 3 && k2Backup && k2NoMaster && !hasVip("h1") ? ok : ko)(
  `vrf: keel BACKUP, ${received} of keepalived's adverts received through vrf0, no MASTER of its own`,
);
// keepalived's stop: its priority-0 advert reaches keel through the VRF, keel takes over
at = k2.log.length;
await ka.stop();
const k2Master = await k2.wait(/\(VI_4\) Entering MASTER STATE/, at);
(k2Master && hasVip("h1") ? ok : ko)(`vrf: keel MASTER after keepalived's stop, VIP on h1's eth1`);
await k2.stop();
cap.kill("SIGTERM");
await cap.exited;

// ---- route encap mpls and ila (issue 16): lightweight tunnels this machine's kernel lacks ----
// The same virtual_routes under keepalived 2.2.7, then keel, in namespace `enc`; the same
// lines through `ip route add` in `encip`. keel's routes must be iproute2's, and
// keepalived's but for the next hop's encap, which keepalived never sends (vrrp_iproute.c
// add_nexthop leaves add_encap no room; keel warns at the word and installs it).
// ILA translates only ILA addresses: the destination holds the whole locator and an
// identifier of a type other than IID (2000:: is LUID, ila_build_state), here a /128.
// No line ends in its encap: iproute2 6.1's `ip route` wants a word after an mpls or ila
// encap ("unexpected end of line after "encap""); keepalived and keel read either order.
const ENC_ROUTES = [
  "10.61.0.0/24 encap mpls 100/200 via 10.60.0.2 dev e0",
  "2001:db8:61:0:2000::1/128 encap ila 1:2:3:4 via 2001:db8:60::2 dev e0",
  "10.62.0.0/24 nexthop via 10.60.0.2 encap mpls 300 dev e0 nexthop via 10.60.0.3 dev e0",
];
const ENC_DSTS = ["10.61.0.0/24", "2001:db8:61:0:2000::1", "10.62.0.0/24"];
for (const n of ["enc", "encip"]) {
  sh(`ip netns add ${n} && ip -n ${n} link set lo up && ip -n ${n} link add e0 type veth peer name e1`);
  sh(`ip netns exec ${n} sysctl -qw net.mpls.platform_labels=1000`);
  sh(`ip -n ${n} link set e0 up && ip -n ${n} link set e1 up && ip -n ${n} addr add 10.60.0.1/24 dev e0`);
  sh(`ip -n ${n} addr add 2001:db8:60::1/64 dev e0 nodad`);
}
const edir = mkdtempSync("/tmp/keel-encap-");
const encConf = join(edir, "encap.conf");
writeFileSync(
  encConf,
  `global_defs {\n  router_id enc\n}\n${instance("VI_5", 55, "e0", "", "10.60.0.100/24").replace(
    "\n}\n",
    `\n  virtual_routes {\n${ENC_ROUTES.map((r) => `    ${r}`).join("\n")}\n  }\n}\n`,
  )}`,
);
/** ENC_DSTS' routes in a namespace, one `ip -d -o` line each (next hops included), in order. */
const encRoutes = (ns: string): string[] => {
  const all = [4, 6].flatMap((f) => sh(`ip -n ${ns} -${f} -d -o route show table all`).split("\n"));
  return ENC_DSTS.flatMap((d) =>
    all.filter((l) => /^\S+ (\S+)/.exec(l)?.[1]?.replace(/\/128$/, "") === d).map((l) => l.replace(/\s+/g, " ").trim()),
  );
};
for (const r of ENC_ROUTES) sh(`ip -n encip route add proto keepalived scope global ${r}`);
const viaIp = encRoutes("encip");
const encRun = async (tag: string, cmd: string[]): Promise<{ routes: string[]; after: string[]; log: string[] }> => {
  const d = daemon("enc", tag, cmd, edir);
  await d.wait(/\(VI_5\) Entering MASTER STATE/);
  // the routes follow the MASTER line; the bound is for a daemon that never adds them
  let routes = encRoutes("enc");
  for (let i = 0; i < 300 && routes.length < ENC_DSTS.length; i++) {
    await Bun.sleep(100);
    routes = encRoutes("enc");
  }
  await d.stop();
  return { routes, after: encRoutes("enc"), log: d.log };
};
const kaEnc = await encRun("ka-encap", [
  ...["keepalived", "-n", "-l", "-G", "-f", encConf],
  ...["-p", `${edir}/a.pid`, "-r", `${edir}/av.pid`, "-c", `${edir}/ac.pid`],
]);
const keelEnc = await encRun("keel-encap", [
  ...[KEEL, "-n", "-l", "-G", "-f", encConf, "-p", `${edir}/k.pid`, "-r", `${edir}/kv.pid`],
  ...["--control-socket", `${edir}/k.sock`],
]);
const routesLine = (r: string[]) => r.join(" | ") || "(none)";
(viaIp.length === 3 && /encap mpls 100\/200 via 10\.60\.0\.2/.test(viaIp[0] ?? "") && /encap ila /.test(viaIp[1] ?? "")
  ? ok
  : ko)(`encap: ip route add installs ${routesLine(viaIp)}`);
(keelEnc.routes.length === 3 && JSON.stringify(keelEnc.routes) === JSON.stringify(viaIp) ? ok : ko)(
  `encap: keel's mpls and ila routes are ip route's: ${routesLine(keelEnc.routes)}`,
);
const asKeepalived = (l: string) => l.replace(/nexthop encap .*? via/g, "nexthop via");
(kaEnc.routes.length === 3 && JSON.stringify(kaEnc.routes) === JSON.stringify(keelEnc.routes.map(asKeepalived))
  ? ok
  : ko)(`encap: keepalived's are keel's but for the next hop's encap: ${routesLine(kaEnc.routes)}`);
(keelEnc.log.some((l) => l.includes("warning[nexthop-encap-keepalived]")) ? ok : ko)(
  "encap: keel warned that keepalived drops the next hop's encap",
);
(kaEnc.after.length === 0 && keelEnc.after.length === 0 ? ok : ko)(
  `encap: none left after SIGTERM: keepalived ${routesLine(kaEnc.after)}, keel ${routesLine(keelEnc.after)}`,
);
finish();
