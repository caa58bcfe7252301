/**
 * auth_hmac (src/vrrp/auth-hmac.ts) against keepalived 2.4.3's own adverts, recorded by
 * test/fixtures/vrrp/capture-auth-hmac.sh into auth-hmac-2.4.3.json (CI has only
 * keepalived 2.2.7, which has no auth_hmac: the bytes are the reference). keel must
 * verify each, and send the same bytes for the same inputs (configuration, sequence).
 * Then the receive rules one by one: tampering, unknown key, rotation, replay, window,
 * modes, unicast peers, the multicast replay slots.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { parseConf } from "../../../src/config/parse";
import { memorySource } from "../../../src/config/source";
import { internetChecksum } from "../../../src/vrrp/checksum";
import { clockSeq, HmacState, type HmacParams } from "../../../src/vrrp/auth-hmac";
import { instanceParams } from "../../../src/vrrp/params";
import { decodeReceived } from "../../../src/vrrp/receive";
import { type RxPacket, VrrpRouter } from "../../../src/vrrp/router";
import { advertPackets } from "../../../src/vrrp/transmit";
import type { AdvertOut, ReceivedAdvert } from "../../../src/vrrp/types";

interface Recorded {
  family: 4 | 6;
  at: string;
  vrid: number;
  version: 2 | 3;
  priority: number;
  src?: string;
  dst?: string;
  hopLimit?: number;
  data: string;
}
const fixture = JSON.parse(readFileSync(`${import.meta.dir}/../../fixtures/vrrp/auth-hmac-2.4.3.json`, "utf8")) as {
  keepalived: string;
  config: string;
  adverts: Recorded[];
};

/** keepalived's own configuration, read by keel: the sender's side (we are 192.0.2.1 / fe80::a) */
function routerOf(text: string, us4 = "192.0.2.1", us6 = "fe80::a"): VrrpRouter {
  const r = parseConf("/k.conf", {
    source: memorySource({ "/k.conf": text }),
    host: { interfaceExists: () => true },
    configId: "x",
  });
  expect(r.diagnostics.errorCount).toBe(0);
  return new VrrpRouter(r.config, { interfaceAddress: (_i, f) => (f === 4 ? us4 : us6) });
}
const sender = routerOf(fixture.config);
const byVrid = new Map([...sender.instances.values()].map((i) => [i.p.vrid, i]));

const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex, "hex"));
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const wallOf = (a: Recorded) => Number(a.at) * 1000;

function rxOf(a: Recorded, data = bytes(a.data), wallMs = wallOf(a)): RxPacket {
  return a.family === 4
    ? { ifname: "eth0", family: 4, data, wallMs }
    : { ifname: "eth0", family: 6, data, src: a.src, dst: a.dst, hopLimit: a.hopLimit, wallMs };
}

function decoded(rx: RxPacket): ReceivedAdvert {
  const got = decodeReceived(rx, undefined, true);
  if (!got.ok) throw new Error(`${got.error.code}: ${got.error.message}`);
  return got.value;
}

function paramsOf(vrid: number): HmacParams {
  const p = byVrid.get(vrid)?.p.authHmac;
  if (!p) throw new Error(`no auth_hmac for VRID ${vrid}`);
  return p;
}

/** the peers a receiver of `vrid` knows (undefined: multicast), the sender among them */
const peersOf = (vrid: number, from: string) => (byVrid.get(vrid)?.p.unicast ? new Set([from]) : undefined);

function verify(state: HmacState, adv: ReceivedAdvert, peers = peersOf(adv.vrid, adv.from)) {
  const p = byVrid.get(adv.vrid)?.p;
  if (!p) throw new Error(`VRID ${adv.vrid}`);
  return state.verify(adv.hmac, p.family, p.version, p.vrid, adv.from, peers);
}

/** The sequence a recorded trailer carries, and a wall clock inside its 1/65536 s step. */
function seqOf(a: Recorded): { seq: bigint; wallMs: number } {
  const d = bytes(a.data);
  const tr = d.subarray(d.length - 28);
  const dv = new DataView(tr.buffer, tr.byteOffset);
  const sec = dv.getUint32(4);
  const subsec = dv.getUint16(8);
  const seq = (BigInt(sec) << 32n) | (BigInt(subsec) << 16n) | BigInt(dv.getUint16(10));
  return { seq, wallMs: sec * 1000 + ((subsec + 0.5) * 1000) / 65536 };
}

describe("keepalived 2.4.3's recorded adverts", () => {
  test("the fixture holds every case: v2/v3, IPv4/IPv6, unicast, monotonic, priority 0", () => {
    expect(fixture.keepalived).toContain("v2.4.3");
    const seen = new Set(fixture.adverts.map((a) => `${a.vrid}/${a.priority === 0 ? 0 : "p"}`));
    for (const v of [81, 82, 83, 84]) {
      expect(seen.has(`${v}/p`)).toBe(true);
      expect(seen.has(`${v}/0`)).toBe(true);
    }
    expect(fixture.adverts.some((a) => a.family === 6)).toBe(true);
  });

  test("keel verifies each one (one receiver state per VRID: the sequence grows)", () => {
    const states = new Map<number, HmacState>();
    for (const a of fixture.adverts) {
      let s = states.get(a.vrid);
      if (!s) {
        s = new HmacState(paramsOf(a.vrid));
        states.set(a.vrid, s);
      }
      const adv = decoded(rxOf(a));
      expect(adv.hmac?.trailer.length).toBe(28);
      expect(verify(s, adv)).toEqual({ ok: true, skew: 0 });
    }
  });

  test("keel's adverts for the same configuration and sequence are byte-identical", () => {
    for (const a of fixture.adverts) {
      const inst = byVrid.get(a.vrid);
      if (!inst) throw new Error(`VRID ${a.vrid}`);
      const p = inst.p;
      const sent = bytes(a.data);
      const state = new HmacState(paramsOf(a.vrid));
      const { seq, wallMs } = seqOf(a);
      expect(clockSeq(wallMs)).toBe(seq);
      const advert: AdvertOut = {
        instance: p.name,
        family: p.family,
        version: p.version,
        vrid: p.vrid,
        priority: a.priority,
        advertIntCs: p.advertIntCs,
        addresses: p.vips.map((v) => v.address),
        destinations: p.unicast ? p.unicastPeers : [p.mcastGroup],
        unicast: p.unicast,
        // keepalived's per-instance IP id, as captured
        ipId: a.family === 4 ? ((sent[4] as number) << 8) | (sent[5] as number) : 0,
        seq: 0,
        hmac: state,
      };
      const [pkt] = advertPackets(advert, p.source as string, wallMs);
      expect(hex((pkt as { data: Uint8Array }).data)).toBe(a.data);
    }
  });
});

describe("receive rules", () => {
  const a81 = fixture.adverts.filter((a) => a.vrid === 81);
  const first = a81[0] as Recorded;
  const second = a81[1] as Recorded;
  const fresh = () => new HmacState(paramsOf(81));

  test("a flipped bit in the trailer's sequence or HMAC, or a changed priority: invalid HMAC", () => {
    const n = bytes(first.data).length;
    for (const at of [n - 28 + 11, n - 1]) {
      const d = bytes(first.data);
      d[at] = (d[at] as number) ^ 1;
      expect(verify(fresh(), decoded(rxOf(first, d)))).toMatchObject({ ok: false, failure: "auth_ext_invalid_hmac" });
    }
    // the priority raised with the VRRP checksum fixed up (the checksum itself is not covered)
    const d = bytes(first.data);
    d[22] = (d[22] as number) + 1;
    d[26] = 0;
    d[27] = 0;
    const c = internetChecksum(d.subarray(20, n - 28)); // v2: the message only
    d[26] = c >> 8;
    d[27] = c & 0xff;
    expect(verify(fresh(), decoded(rxOf(first, d)))).toMatchObject({ ok: false, failure: "auth_ext_invalid_hmac" });
  });

  test("the HMAC covers the sender's address: the same bytes from another source fail", () => {
    const adv = decoded(rxOf(first));
    const src = Uint8Array.from([192, 0, 2, 9]);
    const forged = { ...adv, from: "192.0.2.9", hmac: { ...(adv.hmac as NonNullable<typeof adv.hmac>), src } };
    expect(verify(fresh(), forged)).toMatchObject({ ok: false, failure: "auth_ext_invalid_hmac" });
  });

  test("a key id not configured: unknown key; another configured key (rotation) verifies", () => {
    const only2: HmacParams = { ...paramsOf(81), keys: [{ id: 2, key: new Uint8Array(32).fill(7) }], activeKey: 2 };
    expect(verify(new HmacState(only2), decoded(rxOf(first)))).toMatchObject({
      ok: false,
      failure: "auth_ext_unknown_key",
      keyId: 1,
    });
    // VRID 82 signs with key 2 of {1, 2}: a receiver whose active key is 1 still verifies it
    const p82 = paramsOf(82);
    const receiver = new HmacState({ ...p82, activeKey: 1 });
    const adv = decoded(rxOf(fixture.adverts.find((a) => a.vrid === 82) as Recorded));
    expect(verify(receiver, adv)).toEqual({ ok: true, skew: 0 });
  });

  test("replay: the same advert twice, or an older one after a newer, is dropped", () => {
    const s = fresh();
    expect(verify(s, decoded(rxOf(first)))?.ok).toBe(true);
    expect(verify(s, decoded(rxOf(first)))).toMatchObject({ ok: false, failure: "auth_ext_replay" });
    expect(verify(s, decoded(rxOf(second)))?.ok).toBe(true);
    expect(verify(s, decoded(rxOf(first, undefined, wallOf(second))))).toMatchObject({
      ok: false,
      failure: "auth_ext_replay",
    });
  });

  test("time window: past ±window seconds stale, before the HMAC; monotonic has no window", () => {
    const w = paramsOf(81).timeWindow;
    expect(w).toBe(5); // max(3 x advert_int 1, 5)
    const late = verify(fresh(), decoded(rxOf(first, undefined, wallOf(first) + (w + 1) * 1000)));
    expect(late).toMatchObject({ ok: false, failure: "auth_ext_stale", skew: w + 1 });
    const early = verify(fresh(), decoded(rxOf(first, undefined, wallOf(first) - (w + 1) * 1000)));
    expect(early).toMatchObject({ ok: false, failure: "auth_ext_stale", skew: -(w + 1) });
    expect(verify(fresh(), decoded(rxOf(first, undefined, wallOf(first) + w * 1000)))?.ok).toBe(true);
    // VRID 84 is anti_replay monotonic: an hour later still verifies, a replay still fails
    const a84 = fixture.adverts.find((a) => a.vrid === 84) as Recorded;
    const mono = new HmacState(paramsOf(84));
    expect(verify(mono, decoded(rxOf(a84, undefined, wallOf(a84) + 3_600_000)))?.ok).toBe(true);
    expect(verify(mono, decoded(rxOf(a84)))).toMatchObject({ ok: false, failure: "auth_ext_replay" });
  });

  test("a malformed trailer (ext_type, reserved) and a missing one per mode", () => {
    for (const at of [0, 2]) {
      const d = bytes(first.data);
      const t = d.length - 28 + at;
      d[t] = 9;
      const adv = decoded(rxOf(first, d));
      expect(verify(fresh(), adv)).toMatchObject({ ok: false, failure: "auth_ext_malformed" });
    }
    const base = paramsOf(81);
    expect(new HmacState({ ...base, mode: "enforce" }).verify(undefined, 4, 2, 81, "192.0.2.1", undefined)).toEqual({
      ok: false,
      failure: "auth_ext_missing",
      skew: 0,
    });
    for (const mode of ["permissive", "receive-only"] as const)
      expect(new HmacState({ ...base, mode }).verify(undefined, 4, 2, 81, "192.0.2.1", undefined)).toBeUndefined();
    expect(new HmacState({ ...base, mode: "receive-only" }).signs).toBe(false);
  });

  test("unicast: a source that is not a peer is refused before any check", () => {
    const a82 = fixture.adverts.find((a) => a.vrid === 82) as Recorded;
    const adv = decoded(rxOf(a82));
    expect(verify(new HmacState(paramsOf(82)), adv, new Set(["192.0.2.7"]))).toMatchObject({
      ok: false,
      failure: "unknown-peer",
    });
  });

  test("multicast: four replay slots, the least recently used one evicted (mcast_state)", () => {
    // adverts keel signs for VRID 81 from five sources, two per source (t, t + 1 s)
    const t0 = Date.UTC(2026, 0, 1);
    const p = byVrid.get(81)?.p;
    if (!p?.authHmac) throw new Error("VRID 81");
    const signed = (n: number, wallMs: number) => {
      const advert: AdvertOut = {
        instance: "x",
        family: 4,
        version: 2,
        vrid: 81,
        priority: 100,
        advertIntCs: 100,
        addresses: p.vips.map((v) => v.address),
        destinations: ["224.0.0.18"],
        unicast: false,
        ipId: 1,
        seq: 0,
        hmac: new HmacState(p.authHmac as HmacParams),
      };
      const data = (advertPackets(advert, `192.0.2.${n}`, wallMs)[0] as { data: Uint8Array }).data;
      return decoded({ ifname: "eth0", family: 4, data, wallMs: t0 + 1_000 });
    };
    const s = fresh();
    const ok = (n: number, at: number) => verify(s, signed(n, at))?.ok;
    // sources 1..4 fill the slots at t0 + 1 s; source 1 is refreshed, so 2 is the oldest
    for (const n of [1, 2, 3, 4]) expect(ok(n, t0 + 1_000)).toBe(true);
    expect(ok(1, t0 + 1_000)).toBe(false); // a replay for a known source
    // a fifth source takes the least recently used slot: 2's (1 was used again since)
    expect(ok(5, t0 + 1_000)).toBe(true);
    // 2's mark is gone: its older advert is taken again (into 3's slot, the oldest now);
    // 4's mark is kept: its older advert is not
    expect(ok(2, t0)).toBe(true);
    expect(ok(4, t0)).toBe(false);
  });

  test("a receiver without auth_hmac sees the trailer as a packet too long", () => {
    const got = decodeReceived(rxOf(first));
    expect(got.ok).toBe(false);
    if (!got.ok) expect(got.error.code).toBe("address-count-mismatch");
  });
});

describe("sending", () => {
  test("the sequence is the clock, or the last + 1 when the clock has not moved past it", () => {
    const s = new HmacState(paramsOf(81));
    const t = Date.UTC(2026, 0, 1);
    const a = s.nextSeq(t);
    expect(a).toBe(clockSeq(t));
    expect(s.nextSeq(t)).toBe(a + 1n);
    expect(s.nextSeq(t - 1000)).toBe(a + 2n); // a small step back: still growing
    // time mode: a clock stepped back past the window restarts from the clock
    expect(s.nextSeq(t - 3_600_000)).toBe(clockSeq(t - 3_600_000));
    const mono = new HmacState(paramsOf(84));
    const m = mono.nextSeq(t);
    expect(mono.nextSeq(t - 3_600_000)).toBe(m + 1n);
  });

  test("one trailer for every unicast copy; keel verifies its own adverts", () => {
    const text = fixture.config.replace("192.0.2.2\n", "192.0.2.2\n        192.0.2.3\n");
    const r = routerOf(text);
    const inst = [...r.instances.values()].find((i) => i.p.vrid === 82);
    if (!inst?.hmac) throw new Error("VRID 82");
    const advert: AdvertOut = {
      instance: inst.p.name,
      family: 4,
      version: 3,
      vrid: 82,
      priority: 120,
      advertIntCs: 100,
      addresses: inst.p.vips.map((v) => v.address),
      destinations: inst.p.unicastPeers,
      unicast: true,
      ipId: 1,
      seq: 0,
      hmac: inst.hmac,
    };
    const wallMs = Date.UTC(2026, 0, 1);
    const pkts = advertPackets(advert, "192.0.2.1", wallMs);
    expect(pkts.map((p) => p.dst)).toEqual(["192.0.2.2", "192.0.2.3"]);
    const trailers = pkts.map((p) => hex(p.data.subarray(p.data.length - 28)));
    expect(trailers[0]).toBe(trailers[1] as string);
    const receiver = new HmacState(paramsOf(82));
    for (const p of pkts) {
      const adv = decoded({ ifname: "eth0", family: 4, data: p.data, wallMs });
      // each copy is the same logical advert: the second is a replay for one receiver
      expect(new HmacState(paramsOf(82)).verify(adv.hmac, 4, 3, 82, "192.0.2.1", new Set(["192.0.2.1"]))).toEqual({
        ok: true,
        skew: 0,
      });
    }
    expect(receiver.signs).toBe(true);
  });
});

describe("configuration", () => {
  const K = "hex:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
  const text = (hmac: string, extra = "") =>
    `vrrp_instance VI_1 {\ninterface eth0\nvirtual_router_id 7\npriority 100\nadvert_int 2\n${extra}` +
    `auth_hmac {\n${hmac}\n}\nvirtual_ipaddress {\n192.0.2.7/24\n}\n}\n`;
  const parsed = (t: string, secrets: Record<string, { text: string; mode: number }> = {}) =>
    parseConf("/k.conf", {
      source: memorySource({ "/k.conf": t }),
      host: { interfaceExists: () => true, readSecret: (p) => secrets[p] },
      configId: "x",
    });

  test("keel -t: a key file unreadable, of the wrong length, or readable by others", () => {
    const r = parsed(text("key 1 file:/k1\nkey 2 file:/k2\nkey 3 file:/k3\nactive_key 3"), {
      "/k2": { text: "hex:0011\n", mode: 0o100600 },
      "/k3": { text: `${K}\n`, mode: 0o100644 },
    });
    const msgs = r.diagnostics.items.map((d) => `${d.severity}[${d.code}] ${d.message}`);
    expect(msgs).toContainEqual(
      expect.stringContaining("error[auth-hmac-key-file] (VI_1) auth_hmac key file '/k1' cannot be opened"),
    );
    expect(msgs).toContainEqual(expect.stringContaining("auth_hmac key 2 length 2 not in range [32, 64] (from '/k2')"));
    expect(msgs).toContainEqual(
      expect.stringContaining(
        "warning[auth-hmac-key-file] (VI_1) auth_hmac key file '/k3' is readable by group or others",
      ),
    );
    expect(msgs.filter((m) => m.includes("/k3") && m.startsWith("error"))).toEqual([]);
  });

  test("params: file: keys, the default window, strict forces enforce, legacy auth dropped, no active key disables", () => {
    const r = parsed(
      text(
        `key 1 ${K}\nkey 2 file:/k2\nactive_key 2\nmode permissive`,
        "authentication {\nauth_type PASS\nauth_pass abc\n}\n",
      ),
    );
    const v = r.config.vrrpInstances.VI_1;
    if (!v) throw new Error("VI_1");
    const longKey = "an ascii key of thirty-two bytes!";
    const p = instanceParams(r.config, v, undefined, (path) => (path === "/k2" ? `${longKey}\n` : undefined));
    expect(p.auth).toBeUndefined();
    expect(p.authHmac?.activeKey).toBe(2);
    expect(hex(p.authHmac?.keys.find((k) => k.id === 2)?.key as Uint8Array)).toBe(
      hex(new TextEncoder().encode(longKey)),
    );
    expect(p.authHmac?.timeWindow).toBe(6); // 3 × advert_int 2
    expect(p.authHmac?.mode).toBe("permissive");
    expect(p.authHmac?.antiReplayTime).toBe(true);
    // the file unreadable: key 2 is missing, and with it the active key: disabled
    expect(instanceParams(r.config, v, undefined, () => undefined).authHmac).toBeUndefined();
    const strict = parsed(text(`key 1 ${K}\nactive_key 1\nmode receive-only\ntime_window 30`, "strict_mode on\n"));
    const sv = strict.config.vrrpInstances.VI_1;
    if (!sv) throw new Error("VI_1");
    const sp = instanceParams(strict.config, sv);
    expect(sp.authHmac?.mode).toBe("enforce");
    expect(sp.authHmac?.timeWindow).toBe(30);
  });
});

describe("seen on the wire", () => {
  test("an advert auth_hmac refuses is a foreign advert (reason auth), not a dual master", () => {
    // the 2.4.3 sender's configuration, heard by a receiver whose key 1 differs
    const other = fixture.config.replace(
      "key 1 hex:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n        active_key 1\n    }\n    virtual_ipaddress {\n        192.0.2.181",
      "key 1 hex:ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n        active_key 1\n    }\n    virtual_ipaddress {\n        192.0.2.181",
    );
    expect(other).not.toBe(fixture.config);
    const r = routerOf(other, "192.0.2.2");
    r.start(0);
    r.pollActions();
    const a = fixture.adverts.find((x) => x.vrid === 81) as Recorded;
    r.handleAdvert(rxOf(a), 1_000);
    const out = r.pollActions();
    expect(out).toContainEqual(
      expect.objectContaining({
        type: "rx-error",
        code: "auth-ext-invalid-hmac",
        message: "(H2_V4) invalid authentication HMAC from 192.0.2.1",
      }),
    );
    expect(out).toContainEqual(
      expect.objectContaining({
        type: "observed",
        observation: expect.objectContaining({
          kind: "foreign-advert",
          reason: "auth",
          detail: "auth_hmac: auth_ext_invalid_hmac",
        }),
      }),
    );
    expect(r.instances.get("H2_V4")?.stats.auth_ext_invalid_hmac).toBe(1);
    expect(r.instances.get("H2_V4")?.stats.advert_rcvd).toBe(0);
  });
});
