/**
 * keepalived's vrrp_check_packet: the checks of meaning an advert passes before the state
 * machine sees it (the decoder, receive.ts, did the checks of form), each failure counted
 * under keepalived's statistic name and reported in keepalived 2.2.7's words.
 */
import { isMulticast } from "../base/ip";
import { PRIO_OWNER } from "../base/vrrp";
import type { AddressKeys } from "./address-text";
import { type HmacState, hmacFailureWords } from "./auth-hmac";
import { authPassMatches } from "./packet";
import type { InstanceParams } from "./params";
import type { Action, ReceivedAdvert, VrrpStats } from "./types";

type RxError = Extract<Action, { type: "rx-error" }>;

/** What the checks read of the instance (and `ahSeq`, which AH's anti-replay moves). */
export interface CheckedInstance {
  readonly p: InstanceParams;
  readonly name: string;
  readonly stats: VrrpStats;
  readonly effectivePriority: number;
  readonly vipKeys: AddressKeys;
  readonly peerKeys: AddressKeys;
  ahSeq: number;
  /** auth_hmac's state (auth-hmac.ts) */
  readonly hmac?: HmacState;
  /** the last protocol error (keepalived's proto_err_reason: TTL and version here) */
  lastProtoError?: string;
}

/**
 * vrrp_check_packet: the checks of meaning, each counted under keepalived's name.
 * Returns "ok", "ko" (counted, rejected) or "drop" (ignored silently).
 */
export function checkAdvert(
  inst: CheckedInstance,
  adv: ReceivedAdvert,
  checkVipAddr: boolean,
  emit: (e: RxError) => void,
): "ok" | "ko" | "drop" {
  const p = inst.p;
  const s = inst.stats;
  // keepalived 2.2.7's words (vrrp_check_packet), which Debian 12 users grep for; keel
  // adds the sender, which 2.2.7 leaves out. The messages are built only on rejection:
  // an accepted advert makes no string and no closure here (issue 20: no garbage per advert)
  // RFC 5798 7.1: TTL / hop limit must be 255, except unicast (keepalived)
  if (!p.unicast && adv.ttl !== -1 && adv.ttl !== 255)
    return rejected(
      inst,
      adv,
      emit,
      "ip_ttl_err",
      "bad-ttl",
      `(${inst.name}) invalid TTL/HL. Received ${adv.ttl} and expect 255`,
    );
  if (adv.version !== p.version)
    return rejected(
      inst,
      adv,
      emit,
      "vers_err",
      "bad-version",
      `(${inst.name}) wrong version. Received ${adv.version} and expect ${p.version}`,
    );
  // auth_hmac before any field reaches the state machine (vrrp_check_packet)
  if (inst.hmac && !hmacOk(inst, inst.hmac, adv, emit)) return "ko";
  if (p.version === 2) {
    const want = p.auth ? (p.auth.type === "PASS" ? 1 : 2) : 0;
    // keepalived checks the AH header's presence against the configured type first
    if ((adv.ah !== undefined) !== (p.auth?.type === "AH"))
      return rejected(
        inst,
        adv,
        emit,
        "authtype_mismatch",
        "auth-type-mismatch",
        adv.ah
          ? `(${inst.name}) Received AH header but auth type not AH`
          : `(${inst.name}) No AH header but auth type is AH`,
      );
    if (adv.authType > 2)
      return rejected(
        inst,
        adv,
        emit,
        "invalid_authtype",
        "bad-auth-type",
        `(${inst.name}) Invalid auth type: ${adv.authType}`,
      );
    if (adv.authType !== want)
      return rejected(
        inst,
        adv,
        emit,
        "authtype_mismatch",
        "auth-type-mismatch",
        `(${inst.name}) received a ${adv.authType} auth, expecting ${want}!`,
      );
    if (p.auth?.type === "PASS" && !authPassMatches(adv, p.auth.pass))
      return rejected(inst, adv, emit, "auth_failure", "auth-failure", `(${inst.name}) received an invalid passwd!`);
    if (p.auth?.type === "AH") {
      // ICV and SPI, then the anti-replay sequence (vrrp_in_chk_ipsecah)
      if (!adv.ah?.verify(p.auth.pass))
        return rejected(
          inst,
          adv,
          emit,
          "auth_failure",
          "auth-failure",
          `(${inst.name}) IPSEC-AH : invalid IPSEC HMAC-MD5 value. Due to fields mutation or bad password !`,
        );
      if (adv.ah.seq <= inst.ahSeq)
        return rejected(
          inst,
          adv,
          emit,
          "auth_failure",
          "auth-failure",
          `(${inst.name}) IPSEC-AH : sequence number ${adv.ah.seq} already proceeded (local ${inst.ahSeq})`,
        );
      inst.ahSeq = adv.ah.seq;
    }
    // RFC 3768 7.1: MUST drop an advert whose interval differs (v2)
    if (adv.advertIntCs !== p.advertIntCs) {
      s.advert_interval_err++;
      emit({
        type: "rx-error",
        instance: inst.name,
        from: adv.from,
        code: "bad-interval",
        message: `(${inst.name}) advertisement interval mismatch mine=${p.advertIntCs / 100} sec rcv'd=${adv.advertIntCs / 100} sec (from ${adv.from})`,
      });
      return "drop";
    }
  }
  // a multicast instance takes multicast adverts, a unicast one unicast adverts
  if ((adv.to === p.mcastGroup || isMulticast(adv.to)) === p.unicast)
    return rejected(
      inst,
      adv,
      emit,
      "addr_list_err",
      "wrong-destination",
      `(${inst.name}) Expected ${p.unicast ? "un" : "mult"}icast packet but received ${p.unicast ? "mult" : "un"}icast packet`,
    );
  // owner_ignore_adverts (always in strict mode): the owner does not listen
  if (p.ownerIgnoreAdverts && inst.effectivePriority === PRIO_OWNER) return "drop";
  s.advert_rcvd++;
  if (adv.addresses.length !== p.vips.length) s.addr_list_err++;
  else if (checkVipAddr) {
    for (const a of adv.addresses)
      if (!inst.vipKeys.has(a)) {
        s.addr_list_err++;
        break;
      }
  }
  if (p.unicast && p.checkUnicastSrc && !inst.peerKeys.has(adv.from)) return "ko";
  if (adv.priority === 0) s.pri_zero_rcvd++;
  return "ok";
}

/**
 * vrrp_auth_ext_verify: the trailer checked (auth-hmac.ts), each failure counted under
 * keepalived 2.4.3's stat and logged in its words; an accepted one with a clock skew past
 * half the window is logged too.
 */
function hmacOk(inst: CheckedInstance, hmac: HmacState, adv: ReceivedAdvert, emit: (e: RxError) => void): boolean {
  const p = inst.p;
  const r = hmac.verify(adv.hmac, p.family, p.version, p.vrid, adv.from, p.unicast ? inst.peerKeys : undefined);
  if (r === undefined) return true; // no trailer, accepted in receive-only and permissive
  const window = hmac.p.timeWindow;
  if (r.ok) {
    const half = Math.trunc(window / 2);
    if (hmac.p.antiReplayTime && (r.skew > half || r.skew < -half))
      emit({
        type: "rx-error",
        instance: inst.name,
        from: adv.from,
        code: "auth-ext-clock-skew",
        message: `(${inst.name}) authentication clock skew ${r.skew} sec from ${adv.from} approaching window ${window} sec`,
      });
    return true;
  }
  if (r.failure !== "unknown-peer") inst.stats[r.failure]++;
  adv.hmacFailure = r.failure;
  emit({
    type: "rx-error",
    instance: inst.name,
    from: adv.from,
    code: r.failure === "unknown-peer" ? "unknown-unicast-src" : r.failure.replace(/_/g, "-"),
    message: hmacFailureWords(inst.name, adv.from, r, window),
  });
  return false;
}

function rejected(
  inst: CheckedInstance,
  adv: ReceivedAdvert,
  emit: (e: RxError) => void,
  stat: keyof VrrpStats,
  code: string,
  message: string,
): "ko" {
  inst.stats[stat]++;
  if (code === "bad-ttl" || code === "bad-version") inst.lastProtoError = code;
  emit({ type: "rx-error", instance: inst.name, from: adv.from, code, message: `${message} (from ${adv.from})` });
  return "ko";
}
