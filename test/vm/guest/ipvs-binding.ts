/**
 * Runs INSIDE the IPVS VM (test/vm/ipvs-binding.test.ts boots it): native-bindings/ipvs
 * against a real kernel, with ipvsadm — the kernel's own tool — as the referee.
 *
 * 1. program services of every shape (TCP/UDP/SCTP, fwmark, IPv6, persistence with a
 *    netmask, scheduler flags, NAT/DR/TUN destinations, thresholds) and compare
 *    `ipvsadm -Sn` with what was written;
 * 2. a table written by ipvsadm reads back through the binding as ipvsadm describes it;
 * 3. weights change (a failing check: weight 0, inhibit) and recover; a service edit;
 * 4. refused requests throw NetlinkError naming the operation and the errno;
 * 5. statistics count traffic; delete and flush leave nothing.
 * Prints "PASS: ..." / "FAIL: ..." and exits 1 on any failure.
 */
import { spawnSync } from "node:child_process";
import { Ipvs } from "../../../native-bindings/ipvs";
import { NetlinkError } from "../../../native-bindings/netlink/error";
import { type Dest, type ServiceEntry, SVC_F, destId, serviceId } from "../../../src/lvs/table";
import { parseSave } from "./ipvsadm-save";
import { finish, ko, ok, sh } from "./report";

/** JSON with sorted keys: the same table whatever order its fields were written in */
const canon = (v: unknown): string =>
  JSON.stringify(v, (_k, x) =>
    x && typeof x === "object" && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b)))
      : x,
  );
function check(what: string, got: unknown, want: unknown): void {
  const g = canon(got);
  const w = canon(want);
  if (g === w) ok(what);
  else ko(`${what}\n  got  ${g}\n  want ${w}`);
}

/** keel's table shape only: no counters or statistics, no HASHED flag, sorted */
function normal(t: ServiceEntry[]): ServiceEntry[] {
  return t
    .map((e) => ({
      service: { ...e.service, flags: e.service.flags & ~SVC_F.HASHED, stats: undefined },
      dests: e.dests
        .map((d) => {
          const { activeConns, inactiveConns, persistentConns, stats, ...rest } = d as Dest & Record<string, unknown>;
          return rest as Dest;
        })
        .sort((a, b) => destId(a).localeCompare(destId(b))),
    }))
    .map((e) => {
      const { stats, ...service } = e.service;
      return { service, dests: e.dests };
    })
    .sort((a, b) => serviceId(a.service).localeCompare(serviceId(b.service)));
}

const nat = (address: string, port: number, weight: number): Dest => ({
  address,
  port,
  weight,
  method: "NAT",
  upperThreshold: 0,
  lowerThreshold: 0,
});
const want: ServiceEntry[] = [
  {
    service: {
      family: 4,
      protocol: "TCP",
      address: "10.0.0.1",
      port: 80,
      scheduler: "wrr",
      flags: 0,
      timeout: 0,
      netmask: 0xffffffff,
    },
    dests: [nat("10.0.1.1", 80, 1), nat("10.0.1.2", 80, 2), nat("10.0.1.3", 8080, 3)],
  },
  {
    service: {
      family: 4,
      protocol: "UDP",
      address: "10.0.0.1",
      port: 53,
      scheduler: "sh",
      flags: SVC_F.PERSISTENT | SVC_F.SCHED1 | SVC_F.SCHED2,
      timeout: 300,
      netmask: 0xffffff00,
    },
    dests: [{ address: "10.0.1.4", port: 53, weight: 1, method: "DR", upperThreshold: 100, lowerThreshold: 10 }],
  },
  {
    service: { family: 4, fwmark: 42, scheduler: "wlc", flags: 0, timeout: 0, netmask: 0xffffffff },
    dests: [
      { address: "10.0.1.5", port: 0, weight: 4, method: "TUN", upperThreshold: 0, lowerThreshold: 0, tunType: "ipip" },
    ],
  },
  {
    service: {
      family: 6,
      protocol: "TCP",
      address: "2001:db8::1",
      port: 443,
      scheduler: "rr",
      flags: SVC_F.PERSISTENT,
      timeout: 60,
      netmask: 64,
    },
    dests: [{ address: "2001:db8::2", port: 443, weight: 2, method: "DR", upperThreshold: 0, lowerThreshold: 0 }],
  },
  {
    service: {
      family: 4,
      protocol: "SCTP",
      address: "10.0.0.2",
      port: 3868,
      scheduler: "rr",
      flags: 0,
      timeout: 0,
      netmask: 0xffffffff,
    },
    dests: [nat("10.0.1.6", 3868, 1)],
  },
];

sh("ipvsadm -C");
let ipvs: Ipvs | undefined;
try {
  ipvs = Ipvs.open();
  const info = ipvs.info();
  const head = sh("ipvsadm -Ln").split("\n")[0] ?? "";
  check(
    `GET_INFO agrees with ipvsadm's "${head}"`,
    `IP Virtual Server version ${info.version} (size=${info.connTabSize})`,
    head,
  );

  // 1. keel writes, ipvsadm reads
  for (const e of want) {
    ipvs.addService(e.service);
    for (const d of e.dests) ipvs.addDest(e.service, d);
  }
  // ipvsadm -S does not save thresholds: those are compared with -Ln --thresholds below
  const noThresholds = (t: ServiceEntry[]) =>
    t.map((e) => ({ service: e.service, dests: e.dests.map((d) => ({ ...d, upperThreshold: 0, lowerThreshold: 0 })) }));
  check(
    "five services written through generic netlink are what ipvsadm -Sn shows",
    normal(parseSave(sh("ipvsadm -Sn"))),
    noThresholds(normal(want)),
  );
  const thr = sh("ipvsadm -Ln --thresholds -u 10.0.0.1:53")
    .split("\n")
    .find((l) => l.includes("10.0.1.4:53"))
    ?.trim()
    .split(/\s+/)
    .slice(1, 4)
    .join(" ");
  check("thresholds as ipvsadm -Ln --thresholds shows them", thr, "10.0.1.4:53 100 10");
  check("and what the binding reads back", normal(ipvs.list()), normal(want));

  // 3. a failing check: weight 0 (inhibit_on_failure), then recovery; a scheduler change
  const web = want[0] as ServiceEntry;
  ipvs.editDest(web.service, { ...(web.dests[1] as Dest), weight: 0 });
  const line = () =>
    sh("ipvsadm -Ln -t 10.0.0.1:80")
      .split("\n")
      .find((l) => l.includes("10.0.1.2:80"))
      ?.trim()
      .split(/\s+/)
      .slice(1, 4)
      .join(" ");
  check("inhibited: ipvsadm shows weight 0", line(), "10.0.1.2:80 Masq 0");
  ipvs.editDest(web.service, web.dests[1] as Dest);
  check("recovered: weight 2 again", line(), "10.0.1.2:80 Masq 2");
  ipvs.editService({ ...web.service, scheduler: "wlc" });
  check(
    "SET_SERVICE: the scheduler is now wlc",
    sh("ipvsadm -Ln -t 10.0.0.1:80")
      .split("\n")
      .find((l) => l.startsWith("TCP"))
      ?.trim(),
    "TCP  10.0.0.1:80 wlc",
  );
  ipvs.delDest(web.service, web.dests[0] as Dest);
  check("DEL_DEST: 10.0.1.1 gone", sh("ipvsadm -Sn").includes("10.0.1.1:80"), false);

  // 4. errors name the operation and the errno
  const refused = (f: () => void): string => {
    try {
      f();
      return "(no error)";
    } catch (e) {
      return e instanceof NetlinkError ? e.message : `not a NetlinkError: ${e}`;
    }
  };
  const dup = refused(() => ipvs?.addDest(web.service, web.dests[1] as Dest));
  if (/^IPVS_CMD_NEW_DEST TCP 10\.0\.0\.1:80 -> 10\.0\.1\.2:80: .*\(EEXIST\)/.test(dup))
    ok(`a duplicate destination: ${dup}`);
  else ko(`duplicate destination: ${dup}`);
  const missing = refused(() => ipvs?.editService({ ...web.service, port: 81 }));
  if (/^IPVS_CMD_SET_SERVICE TCP 10\.0\.0\.1:81: .*\(ESRCH\)/.test(missing)) ok(`a missing service: ${missing}`);
  else ko(`missing service: ${missing}`);
  const sched = refused(() => ipvs?.addService({ ...web.service, port: 82, scheduler: "nosuch" }));
  if (/^IPVS_CMD_NEW_SERVICE TCP 10\.0\.0\.1:82: .*\(ENOENT\)/.test(sched)) ok(`an unknown scheduler: ${sched}`);
  else ko(`unknown scheduler: ${sched}`);

  // batches: 300 changes in three sendmsg calls, a refused one in the middle reported at its place
  ipvs.flush();
  const bsvc = {
    family: 4 as const,
    protocol: "TCP" as const,
    address: "10.5.0.1",
    port: 80,
    scheduler: "rr",
    flags: 0,
    timeout: 0,
    netmask: 0xffffffff,
  };
  const bdest = (i: number): Dest => nat(`10.5.${1 + Math.floor(i / 200)}.${(i % 200) + 1}`, 80, 1);
  const changes = [
    { op: "add-service" as const, service: bsvc },
    ...Array.from({ length: 299 }, (_, i) => ({
      op: "add-dest" as const,
      key: bsvc,
      dest: bdest(i === 150 ? 149 : i),
    })),
  ];
  const outcomes = ipvs.apply(changes);
  const bad = outcomes.flatMap((o, i) => (o ? [`${i}: ${o.message}`] : []));
  const inKernel = (sh("ipvsadm -Ln -t 10.5.0.1:80").match(/->\s+10\.5\./g) ?? []).length;
  check(
    "a batch of 300 changes: one refused (a duplicate, at its place), 298 destinations in the kernel",
    [bad, inKernel],
    [["151: IPVS_CMD_NEW_DEST TCP 10.5.0.1:80 -> 10.5.1.150:80: File exists (EEXIST)"], 298],
  );

  // 2. ipvsadm writes, keel reads
  ipvs.flush();
  check("FLUSH: ipvsadm -Sn is empty", sh("ipvsadm -Sn").trim(), "");
  sh("ipvsadm -A -t 10.9.0.1:80 -s wrr -p 120 -M 255.255.0.0 && ipvsadm -a -t 10.9.0.1:80 -r 10.9.1.1:80 -g -w 7");
  sh("ipvsadm -A -f 9 -6 -s rr && ipvsadm -a -f 9 -6 -r [2001:db8::9]:0 -i -w 1");
  const fromIpvsadm = normal(parseSave(sh("ipvsadm -Sn")));
  check(
    "a table ipvsadm wrote reads back through the binding as ipvsadm -Sn describes it",
    normal(ipvs.list()),
    fromIpvsadm,
  );

  // 5. statistics: a client in a namespace connects to a service on this host. The kernel
  // folds its per-CPU counters into what GET_SERVICE reports every 2 s (the estimator).
  ipvs.flush();
  sh(
    "ip netns add c && ip link add vc type veth peer name eth0 netns c && ip addr add 10.78.0.1/24 dev vc && ip link set vc up",
  );
  sh("ip -n c addr add 10.78.0.2/24 dev eth0 && ip -n c link set eth0 up && ip -n c link set lo up");
  const svc = {
    family: 4 as const,
    protocol: "TCP" as const,
    address: "10.78.0.1",
    port: 8,
    scheduler: "rr",
    flags: 0,
    timeout: 0,
    netmask: 0xffffffff,
  };
  ipvs.addService(svc);
  ipvs.addDest(svc, { address: "10.78.0.1", port: 8, weight: 1, method: "NAT", upperThreshold: 0, lowerThreshold: 0 });
  spawnSync("sh", ["-c", "for i in 1 2 3; do ip netns exec c curl -s -m 1 http://10.78.0.1:8/ >/dev/null; done"]);
  let conns = -1n;
  for (let i = 0; i < 60 && conns < 3n; i++) {
    if (i) await Bun.sleep(100);
    conns = ipvs.list()[0]?.service.stats?.conns ?? -1n;
  }
  const admConns = Number(
    sh("ipvsadm -Ln --stats -t 10.78.0.1:8")
      .split("\n")
      .find((l) => l.startsWith("TCP"))
      ?.trim()
      .split(/\s+/)[2] ?? -1,
  );
  if (conns >= 3n && Number(conns) === admConns) ok(`statistics: ${conns} connections, as ipvsadm --stats counts`);
  else ko(`statistics: binding ${conns}, ipvsadm ${admConns}`);
  ipvs.delService(svc);
  check("DEL_SERVICE: the table is empty", ipvs.list().length, 0);
} catch (e) {
  ko(`unexpected: ${(e as Error).stack ?? e}`);
} finally {
  ipvs?.close();
}
finish();
