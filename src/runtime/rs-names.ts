/**
 * `keel rs VS RS`: the virtual and real server named as keepalived's dumps and `keel
 * status` name them, matched against the checker process's view. A virtual server is
 * `10.0.0.1:80/TCP` as status shows it, or without the protocol when only one matches
 * (`10.0.0.1:80`), `[2001:db8::1]:80`, `fwmark 1` (also `fwmark:1`, keepalived's `FWM 1`),
 * `group NAME`; a real server `192.168.0.2:8080` (`[2001:db8::2]:80`).
 */
import type { RsAction, VirtualServerStatus } from "../control/protocol";

/** What the daemon asks the checker process to do (checker-child.ts ToChild `rs`). */
export interface RsRequest {
  action: RsAction;
  /** the names as the checker's status has them */
  virtualServer: string;
  realServer: string;
  weight?: number;
  by?: string;
  reason?: string;
}

export type Found = { ok: true; value: { vs: string; rs: string } } | { ok: false; error: string };

/** The spelling status uses for what the operator typed. */
function normalVs(name: string): string {
  const t = name.trim().replace(/\s+/g, " ");
  const mark = /^(?:fwmark|fwm)[ :]?(\d+)$/i.exec(t);
  if (mark) return `fwmark ${mark[1]}`;
  return t.replace(/\/(tcp|udp|sctp)$/i, (_, p: string) => `/${p.toUpperCase()}`);
}

export function findRealServer(list: VirtualServerStatus[], vsName: string, rsName: string): Found {
  const want = normalVs(vsName);
  let vss = list.filter((v) => v.name === want);
  if (vss.length === 0) vss = list.filter((v) => v.name.replace(/\/(TCP|UDP|SCTP)$/, "") === want);
  if (vss.length === 0) {
    const known = list.map((v) => v.name).join(", ") || "none";
    return { ok: false, error: `no virtual server ${vsName} (known: ${known})` };
  }
  if (vss.length > 1)
    return { ok: false, error: `${vsName} names ${vss.map((v) => v.name).join(" and ")}: add the protocol` };
  const vs = vss[0] as VirtualServerStatus;
  const rs = vs.realServers.find((r) => r.address === rsName.trim());
  if (!rs) {
    const known = vs.realServers.map((r) => r.address).join(", ") || "none";
    return { ok: false, error: `${vs.name} has no real server ${rsName} (its real servers: ${known})` };
  }
  return { ok: true, value: { vs: vs.name, rs: rs.address } };
}
