/**
 * keel and Debian's keepalived as interchangeable routers in a namespace lab: start one
 * of either kind, crash it (SIGKILL; keepalived's whole process group), stop it
 * (SIGTERM), and read its counters from the SIGUSR2 stats file both write in
 * keepalived's format. Every state read here comes from the process's own log, its
 * stats file or `ip addr`: never guessed.
 */
import { type Lab, type Proc, instance } from "../netns/harness";

export type Kind = "keel" | "keepalived";

export interface Router {
  kind: Kind;
  host: string;
  proc: Proc;
}

export const GLOBAL = "global_defs {\n  router_id interop\n}\n";

export function start(lab: Lab, kind: Kind, host: string, conf: string): Router {
  const proc = kind === "keel" ? lab.keel(host, conf) : lab.keepalived(host, conf);
  return { kind, host, proc };
}

/** A crash: nothing is sent, the VIP stays configured on the host. */
export function crash(r: Router): void {
  if (r.kind === "keepalived") r.proc.killGroup("SIGKILL");
  else r.proc.kill("SIGKILL");
}

export function stop(r: Router): void {
  r.proc.kill("SIGTERM");
}

export type Stats = Record<string, number>;

/** keepalived's stats text (vrrp_print_stats) as flat keys: "Advertisements.Received", "Packet Errors.TTL", ... */
export function parseStats(text: string, instanceName = "VI_1"): Stats {
  const out: Stats = {};
  let inside = false;
  let section = "";
  for (const line of text.split("\n")) {
    const inst = line.match(/^VRRP Instance: (\S+)/);
    if (inst) {
      inside = inst[1] === instanceName;
      continue;
    }
    if (!inside) continue;
    const m = line.match(/^(\s+)([^:]+):\s*(\d+)?$/);
    if (!m) continue;
    const [, indent, key, value] = m;
    if (value === undefined) section = key!.trim();
    else out[indent!.length <= 2 ? key!.trim() : `${section}.${key!.trim()}`] = Number(value);
  }
  return out;
}

/** SIGUSR2, then the stats file once it is (re)written. */
export async function stats(lab: Lab, r: Router): Promise<Stats> {
  const file = Bun.file(`${lab.tmpdir(r.host)}/keepalived.stats`);
  const before = (await file.exists()) ? file.lastModified : 0;
  r.proc.kill("SIGUSR2");
  for (let i = 0; i < 100; i++) {
    await Bun.sleep(30);
    const f = Bun.file(`${lab.tmpdir(r.host)}/keepalived.stats`);
    if ((await f.exists()) && f.lastModified !== before && (await f.text()).includes("Sent:")) {
      await Bun.sleep(30); // a writer still writing
      return parseStats(await Bun.file(`${lab.tmpdir(r.host)}/keepalived.stats`).text());
    }
  }
  throw new Error(`${r.kind} on ${r.host}: no stats file after SIGUSR2`);
}

/** Every error counter of keepalived's stats text. */
export function errors(s: Stats): Stats {
  const keys = Object.keys(s).filter((k) => k.startsWith("Packet Errors.") || k.startsWith("Authentication Errors."));
  return Object.fromEntries(keys.map((k) => [k, s[k]!]));
}

export interface Mode {
  name: string;
  ipv6?: boolean;
  vip: string;
  conf(o: {
    priority: number;
    host: string;
    peers: string[];
    lab: Lab;
    nopreempt?: boolean;
    advertInt?: number;
    pass?: string;
  }): string;
}

const v4 = "10.99.0.100";
const v6 = "fd00:99::100";

export const MODES: Mode[] = [
  {
    name: "VRRPv2 PASS",
    vip: v4,
    conf: (o) =>
      GLOBAL +
      instance({
        priority: o.priority,
        version: 2,
        authPass: o.pass ?? "s3cret",
        nopreempt: o.nopreempt,
        advertInt: o.advertInt,
      }),
  },
  {
    name: "VRRPv2 AH",
    vip: v4,
    conf: (o) =>
      GLOBAL +
      instance({
        priority: o.priority,
        version: 2,
        authType: "AH",
        authPass: o.pass ?? "s3cret",
        nopreempt: o.nopreempt,
        advertInt: o.advertInt,
      }),
  },
  {
    name: "VRRPv3 IPv4",
    vip: v4,
    conf: (o) =>
      GLOBAL + instance({ priority: o.priority, version: 3, nopreempt: o.nopreempt, advertInt: o.advertInt }),
  },
  {
    name: "VRRPv3 IPv6",
    ipv6: true,
    vip: v6,
    conf: (o) =>
      GLOBAL +
      instance({
        priority: o.priority,
        version: 3,
        vips: [`${v6}/64`],
        nopreempt: o.nopreempt,
        advertInt: o.advertInt,
      }),
  },
  {
    name: "unicast peers",
    vip: v4,
    conf: (o) =>
      GLOBAL +
      instance({
        priority: o.priority,
        version: 3,
        unicastSrc: o.lab.ip(o.host),
        unicastPeers: o.peers.map((p) => o.lab.ip(p)),
        nopreempt: o.nopreempt,
        advertInt: o.advertInt,
      }),
  },
];

/** Which hosts hold the VIP right now (`ip addr`). */
export function holders(lab: Lab, vip: string): string[] {
  return lab.hosts.filter((h) => lab.hasAddr(h, vip));
}
