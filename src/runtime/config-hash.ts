/**
 * What must agree between the nodes of one VRID, as the `config` field of an instance's
 * status (src/control/protocol.ts InstanceStatus.config), for `keel fleet`'s drift flags.
 *
 * The hash covers what RFC 9568 and keepalived make the routers of a virtual router share:
 * vrid, address family, VRRP version, advert_int (RFC 9568 §6.1: a backup logs and drops an
 * advert whose interval differs; keepalived vrrp.c "advertisement interval mismatch"),
 * authentication (RFC 3768 §5.3.6; keepalived drops on mismatch), the VIP set as
 * address/prefix, sorted (RFC 9568 §6.4.3 "MUST ... verify the IPvX Address(es)": keepalived
 * logs "ip address associated with VRID ... not present in MASTER advert"), the excluded
 * VIPs, the multicast group, whether adverts go unicast, and v3_checksum_as_v2 (a node
 * without it drops the adverts of one with it as bad checksums; in the hash only when
 * set, so the hashes of configurations without it stay as they were).
 *
 * Left out, because they differ between nodes by design: priority, state, nopreempt and
 * preempt_delay (one node may hold on), interface names and unicast_src_ip/unicast_peer
 * lists (each node lists the others), tracking, garp and notify settings.
 *
 * The auth password is hashed, never shown: `authHash` tells two nodes' passwords apart
 * (the auth-mismatch flag) without revealing one; PASS travels in clear text in every
 * advert anyway (RFC 3768 §5.3.6.1), so this leaks nothing the wire does not.
 */
import type { InstanceParams } from "../vrrp/params";

export interface SharedConfig {
  /** 16 hex digits of SHA-256 over the fields above */
  hash: string;
  /** seconds, as configured (v2 whole seconds) */
  advertInt: number;
  auth: "none" | "PASS" | "AH";
  /** 16 hex digits of SHA-256 over auth type and password; absent without auth */
  authHash?: string;
}

// Bun's hasher, not node:crypto's createHash: node:crypto brings node:stream into every
// start that loads the control server (issue 20); the digest is the same SHA-256
const short = (s: string) => new Bun.CryptoHasher("sha256").update(s).digest("hex").slice(0, 16);

export function sharedConfig(p: InstanceParams): SharedConfig {
  const addr = (v: { address: string; prefix: number }) => `${v.address}/${v.prefix}`;
  const authHash = p.auth ? short(`${p.auth.type}\0${p.auth.pass}`) : undefined;
  const fields = {
    vrid: p.vrid,
    family: p.family,
    version: p.version,
    advertIntCs: p.advertIntCs,
    auth: authHash ?? "none",
    vips: p.vips.map(addr).sort(),
    excluded: p.excluded.map(addr).sort(),
    mcastGroup: p.unicast ? "" : p.mcastGroup,
    unicast: p.unicast,
    ...(p.v3ChecksumAsV2 ? { v3ChecksumAsV2: true } : {}),
  };
  const out: SharedConfig = {
    hash: short(JSON.stringify(fields)),
    advertInt: p.advertIntCs / 100,
    auth: p.auth?.type ?? "none",
  };
  if (authHash) out.authHash = authHash;
  return out;
}
