/**
 * The IPVS table as the checker runtime uses it: read it, apply one operation.
 *
 * Today this goes through ipvsadm(8), the kernel's own user-space tool (Debian package
 * ipvsadm): `ipvsadm -Sn` reads the table, one `ipvsadm` per operation changes it. The
 * generic-netlink binding the design calls for (native-bindings/ipvs) is not written
 * yet; this port is what replaces it, and the rest of keel only sees this interface.
 * Without ipvsadm, or on a kernel without IPVS, openIpvs returns why, and the checkers
 * still run (the daemon logs it once; VRRP is not affected).
 */
import type { IpvsOp } from "../lvs/diff";
import type { Dest, Method, Protocol, Service, ServiceEntry, ServiceKey } from "../lvs/table";
import { SVC_F, serviceId } from "../lvs/table";

export interface IpvsPort {
  read(): ServiceEntry[];
  apply(op: IpvsOp): void;
  flush(): void;
  close(): void;
}

function run(args: string[]): string {
  const r = Bun.spawnSync(["ipvsadm", ...args], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`ipvsadm ${args.join(" ")}: ${(r.stderr.toString() || r.stdout.toString()).trim().replace(/\n/g, "; ")}`);
  return r.stdout.toString();
}

function hostPort(address: string | undefined, port: number | undefined): string {
  const a = address ?? "0.0.0.0";
  return a.includes(":") ? `[${a}]:${port ?? 0}` : `${a}:${port ?? 0}`;
}

const PROTO_FLAG: Record<Protocol, string> = { TCP: "-t", UDP: "-u", SCTP: "--sctp-service" };

function keyArgs(k: ServiceKey): string[] {
  if (k.fwmark !== undefined) return ["-f", String(k.fwmark), ...(k.family === 6 ? ["-6"] : [])];
  return [PROTO_FLAG[k.protocol ?? "TCP"], hostPort(k.address, k.port)];
}

/** `-b` names as ipvsadm writes them (libipvs: flag-1/2/3 are the scheduler's own) */
function schedFlagArgs(s: Service): string[] {
  const names: string[] = [];
  const one = (bit: number, sh: string, mh: string, generic: string) => {
    if (!(s.flags & bit)) return;
    names.push(s.scheduler === "sh" ? sh : s.scheduler === "mh" ? mh : generic);
  };
  one(SVC_F.SCHED1, "sh-fallback", "mh-fallback", "flag-1");
  one(SVC_F.SCHED2, "sh-port", "mh-port", "flag-2");
  if (s.flags & SVC_F.SCHED3) names.push("flag-3");
  return names.length ? ["-b", names.join(",")] : [];
}

function netmaskText(s: Service): string {
  if (s.family === 6) return String(s.netmask);
  const m = s.netmask >>> 0;
  return [m >>> 24, (m >>> 16) & 255, (m >>> 8) & 255, m & 255].join(".");
}

function serviceArgs(s: Service): string[] {
  const a = [...keyArgs(s), "-s", s.scheduler, ...schedFlagArgs(s)];
  if (s.flags & SVC_F.PERSISTENT) a.push("-p", String(s.timeout), "-M", netmaskText(s));
  if (s.flags & SVC_F.ONEPACKET) a.push("-o");
  if (s.pe) a.push("--pe", s.pe);
  return a;
}

const METHOD_FLAG: Record<Method, string> = { NAT: "-m", DR: "-g", TUN: "-i" };

function destArgs(k: ServiceKey, d: Dest): string[] {
  const a = [...keyArgs(k), "-r", hostPort(d.address, d.port), METHOD_FLAG[d.method], "-w", String(d.weight)];
  if (d.upperThreshold) a.push("-x", String(d.upperThreshold));
  if (d.lowerThreshold) a.push("-y", String(d.lowerThreshold));
  if (d.method === "TUN" && d.tunType && d.tunType !== "ipip") {
    a.push("--tun-type", d.tunType);
    if (d.tunPort) a.push("--tun-port", String(d.tunPort));
  }
  return a;
}

function parseHostPort(s: string): { address: string; port: number } {
  const m = /^\[(.*)\]:(\d+)$/.exec(s) ?? /^(.*):(\d+)$/.exec(s);
  return { address: m?.[1] ?? s, port: Number(m?.[2] ?? 0) };
}

/** `ipvsadm -Sn` (its save format) back into services and destinations. */
export function parseSave(text: string): ServiceEntry[] {
  const out = new Map<string, ServiceEntry>();
  for (const line of text.split("\n")) {
    const w = line.trim().split(/\s+/);
    if (w[0] !== "-A" && w[0] !== "-a") continue;
    const opt = (f: string) => {
      const i = w.indexOf(f);
      return i >= 0 ? w[i + 1] : undefined;
    };
    let key: ServiceKey;
    const fw = opt("-f");
    if (fw !== undefined) key = { family: w.includes("-6") ? 6 : 4, fwmark: Number(fw) };
    else {
      const flag = w.includes("-t") ? "-t" : w.includes("-u") ? "-u" : "--sctp-service";
      const hp = parseHostPort(opt(flag) ?? "");
      key = { family: hp.address.includes(":") ? 6 : 4, protocol: flag === "-t" ? "TCP" : flag === "-u" ? "UDP" : "SCTP", address: hp.address, port: hp.port };
    }
    if (w[0] === "-A") {
      let flags = 0;
      const timeout = Number(opt("-p") ?? 0);
      if (w.includes("-p")) flags |= SVC_F.PERSISTENT;
      if (w.includes("-o")) flags |= SVC_F.ONEPACKET;
      for (const b of (opt("-b") ?? "").split(",")) {
        if (b === "flag-1" || b === "sh-fallback" || b === "mh-fallback") flags |= SVC_F.SCHED1;
        if (b === "flag-2" || b === "sh-port" || b === "mh-port") flags |= SVC_F.SCHED2;
        if (b === "flag-3") flags |= SVC_F.SCHED3;
      }
      const mask = opt("-M");
      const netmask = key.family === 6 ? Number(mask ?? 128) : mask ? mask.split(".").reduce((a, o) => ((a << 8) | Number(o)) >>> 0, 0) : 0xffffffff;
      const service: Service = { ...key, scheduler: opt("-s") ?? "wlc", flags, timeout, netmask };
      const pe = opt("--pe");
      if (pe) service.pe = pe;
      out.set(serviceId(key), { service, dests: [] });
    } else {
      const e = out.get(serviceId(key));
      if (!e) continue;
      const hp = parseHostPort(opt("-r") ?? "");
      const method: Method = w.includes("-g") ? "DR" : w.includes("-i") ? "TUN" : "NAT";
      const d: Dest = { address: hp.address, port: hp.port, weight: Number(opt("-w") ?? 1), method, upperThreshold: Number(opt("-x") ?? 0), lowerThreshold: Number(opt("-y") ?? 0) };
      const tt = opt("--tun-type");
      if (method === "TUN") d.tunType = (tt as Dest["tunType"]) ?? "ipip";
      e.dests.push(d);
    }
  }
  return [...out.values()];
}

export async function openIpvs(): Promise<{ port: IpvsPort } | { error: string }> {
  if (!Bun.which("ipvsadm")) return { error: "IPVS cannot be programmed: ipvsadm is not installed (Debian package ipvsadm)" };
  try {
    run(["-Ln"]);
  } catch (e) {
    return { error: `IPVS is not available in this kernel (${(e as Error).message}); modprobe ip_vs` };
  }
  return {
    port: {
      read: () => parseSave(run(["-Sn"])),
      apply: (o) => {
        switch (o.op) {
          case "add-service":
            return void run(["-A", ...serviceArgs(o.service)]);
          case "edit-service":
            return void run(["-E", ...serviceArgs(o.service)]);
          case "del-service":
            return void run(["-D", ...keyArgs(o.key)]);
          case "add-dest":
            return void run(["-a", ...destArgs(o.key, o.dest)]);
          case "edit-dest":
            return void run(["-e", ...destArgs(o.key, o.dest)]);
          case "del-dest":
            return void run(["-d", ...keyArgs(o.key), "-r", hostPort(o.dest.address, o.dest.port)]);
        }
      },
      flush: () => void run(["-C"]),
      close: () => {},
    },
  };
}
