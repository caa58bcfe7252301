/**
 * `ipvsadm -Sn` (ipvsadm's save format) read back into keel's table shape: the VM tests
 * compare what keel's generic-netlink binding reads and writes with what ipvsadm, the
 * kernel's own tool, sees. (keel itself never runs ipvsadm.)
 */
import type { Dest, Method, ServiceEntry, ServiceKey, Service } from "../../../src/lvs/table";
import { SVC_F, serviceId } from "../../../src/lvs/table";

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
      key = {
        family: hp.address.includes(":") ? 6 : 4,
        protocol: flag === "-t" ? "TCP" : flag === "-u" ? "UDP" : "SCTP",
        address: hp.address,
        port: hp.port,
      };
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
      const netmask =
        key.family === 6
          ? Number(mask ?? 128)
          : mask
            ? mask.split(".").reduce((a, o) => ((a << 8) | Number(o)) >>> 0, 0)
            : 0xffffffff;
      const service: Service = { ...key, scheduler: opt("-s") ?? "wlc", flags, timeout, netmask };
      const pe = opt("--pe");
      if (pe) service.pe = pe;
      out.set(serviceId(key), { service, dests: [] });
    } else {
      const e = out.get(serviceId(key));
      if (!e) continue;
      const hp = parseHostPort(opt("-r") ?? "");
      const method: Method = w.includes("-g") ? "DR" : w.includes("-i") ? "TUN" : "NAT";
      const d: Dest = {
        address: hp.address,
        port: hp.port,
        weight: Number(opt("-w") ?? 1),
        method,
        upperThreshold: Number(opt("-x") ?? 0),
        lowerThreshold: Number(opt("-y") ?? 0),
      };
      const tt = opt("--tun-type");
      if (method === "TUN") d.tunType = (tt as Dest["tunType"]) ?? "ipip";
      e.dests.push(d);
    }
  }
  return [...out.values()];
}
