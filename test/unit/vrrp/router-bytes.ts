/**
 * A VrrpRouter fed adverts as bytes, for the tests that look at checksums and adverts on
 * the wire (old-checksum, v3-checksum-as-v2, timer-expired-backup): the router built from
 * keepalived.conf text through the real parser, we at US, a peer's IPv4 advert encoded by
 * keel's own transmit path, and the instance's own adverts as it sends them.
 */
import { expect } from "bun:test";
import { parseIpv4 } from "../../../src/base/ip";
import { parseConf } from "../../../src/config/parse";
import { memorySource } from "../../../src/config/source";
import { internetChecksum, ipv4PseudoHeader } from "../../../src/vrrp/checksum";
import { VrrpRouter } from "../../../src/vrrp/router";
import { advertPackets } from "../../../src/vrrp/transmit";
import type { Action, AdvertOut } from "../../../src/vrrp/types";

export const US = "10.0.0.5";
export const PEER = "10.0.0.12";
export const GROUP = "224.0.0.18";

/** A router on `text` (keepalived.conf; it must parse without errors) whose interfaces hold US. */
export function routerOf(text: string): VrrpRouter {
  const r = parseConf("/k.conf", {
    source: memorySource({ "/k.conf": text }),
    host: { interfaceExists: () => true },
    configId: "x",
  });
  expect(r.diagnostics.errorCount).toBe(0);
  return new VrrpRouter(r.config, { interfaceAddress: () => US });
}

/**
 * PEER's advert as IPv4 bytes (the IP header first), as keel would send it: VRRPv3, VRID 7,
 * priority 100, advert_int 1, VIP 192.0.2.7, to GROUP, unless `over` says otherwise.
 */
export function peerAdvert(over: Partial<AdvertOut> = {}): Uint8Array {
  const [pkt] = advertPackets(
    {
      instance: "peer",
      family: 4,
      version: 3,
      vrid: 7,
      priority: 100,
      advertIntCs: 100,
      addresses: ["192.0.2.7"],
      destinations: [GROUP],
      unicast: false,
      ipId: 1,
      seq: 0,
      ...over,
    },
    PEER,
  );
  return (pkt as { data: Uint8Array }).data;
}

/** The actions of `type` the router has for us now (the others are dropped). */
export function actionsOf(r: VrrpRouter, type: Action["type"]): Action[] {
  return r.pollActions().filter((a) => a.type === type);
}

/** Run from `from` until the instance sends an advert; its VRRP message as sent (IPv4 header cut). */
export function ownAdvert(r: VrrpRouter, from: number): Uint8Array {
  for (let t = from; t < from + 10_000; t += 100) {
    r.handleTimeout(t);
    for (const a of r.pollActions())
      if (a.type === "send-advert") return (advertPackets(a.advert, US)[0] as { data: Uint8Array }).data.subarray(20);
  }
  throw new Error("no advert");
}

/** Is `msg`'s checksum right over RFC 5798's pseudo-header from US to `dst`? */
export const checksOver = (msg: Uint8Array, dst: string) =>
  internetChecksum(ipv4PseudoHeader(parseIpv4(US)!, parseIpv4(dst)!, msg.length), msg) === 0;
