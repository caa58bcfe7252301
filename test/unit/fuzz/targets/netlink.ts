/**
 * Netlink replies (native-bindings/netlink/codec.ts, messages.ts, genl.ts; the rtnetlink
 * monitor and dumps run these same decoders) and IPVS generic-netlink replies
 * (native-bindings/ipvs/messages.ts).
 * - netlink: a corpus file is one datagram as recv() returns it;
 * - ipvs: a corpus file is one generic-netlink payload (genlmsghdr + attributes), as the
 *   IPVS dump readers hand each message's payload to the decoders.
 * Inputs: captured traffic (test/fixtures/netlink, test/fixtures/ipvs) mutated, random bytes,
 * and attribute trees built from the decoders' own schemas, so every attribute kind, nest
 * and size check is reached (mostly well-formed, sometimes with a wrong size or length).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import * as I from "../../../../native-bindings/ipvs/constants";
import {
  decodeDaemon,
  decodeDest,
  decodeInfo,
  decodeService,
  decodeTimeouts,
} from "../../../../native-bindings/ipvs/messages";
import { IPVS_CMD, IPVS_INFO } from "../../../../native-bindings/ipvs/schemas";
import {
  type AttrSchema,
  type NlMessage,
  decodeAck,
  decodeAttrs,
  parseMessages,
} from "../../../../native-bindings/netlink/codec";
import * as K from "../../../../native-bindings/netlink/constants";
import { CTRL_ATTRS, decodeFamily } from "../../../../native-bindings/netlink/genl";
import { decodeAddress, decodeLink, macvlanModeOf } from "../../../../native-bindings/netlink/messages";
import { FRA, IFA, IFLA, IFLA_INFO, IFLA_MACVLAN, RTA } from "../../../../native-bindings/netlink/schemas";
import { canonicalIp } from "../../../../src/base/ip";
import { hexBytes, mutated, randomBytes } from "../gen";
import { type Target, checkResult, expectThat, hit, noThrow } from "../harness";

const NL_CODES = new Set(["truncated", "bad-length", "bad-attribute", "bad-message", "unsupported"]);
const FIX = join(import.meta.dir, "../../../fixtures");

// ---------------------------------------------------------------- schema-aware attribute trees

const u8s = (...xs: number[]) => Uint8Array.from(xs);
function le(n: number, size: number): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (n / 2 ** (8 * i)) & 0xff;
  return b;
}
function cat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** one TLV: nla_len is right unless `lenDelta` says otherwise; padded to 4 like the kernel */
function tlv(type: number, payload: Uint8Array, lenDelta: number): Uint8Array {
  const len = Math.max(0, Math.min(0xffff, 4 + payload.length + lenDelta));
  const pad = (4 - ((4 + payload.length) % 4)) % 4;
  return cat([le(len, 2), le(type, 2), payload, new Uint8Array(pad)]);
}

const NAMES = ["eth0", "lo", "macvlan", "veth", "wlc", "rr", "", "x".repeat(15), "IPVS", "nl80211", "d0:0"];
const mostlyZero = fc.oneof(
  { weight: 9, arbitrary: fc.constant(0) },
  { weight: 1, arbitrary: fc.integer({ min: -8, max: 8 }) },
);

/** attributes of `schema` (nested ones built from their schema, `depth` levels down) and some unknown types */
function attrs(schema: AttrSchema, depth: number): fc.Arbitrary<Uint8Array> {
  const specs = Object.values(schema.attrs);
  const one = fc.nat({ max: specs.length }).chain((i): fc.Arbitrary<Uint8Array> => {
    const spec = specs[i];
    if (!spec) return fc.tuple(fc.nat({ max: 0xffff }), fc.uint8Array({ maxLength: 24 })).map(([t, p]) => tlv(t, p, 0));
    const type = spec.type | (spec.flags ?? 0);
    let payload: fc.Arbitrary<Uint8Array>;
    switch (spec.kind) {
      case "u8":
      case "u16":
      case "be16":
      case "u32":
      case "s32":
      case "u64": {
        const size = { u8: 1, u16: 2, be16: 2, u32: 4, s32: 4, u64: 8 }[spec.kind];
        // the right size nine times in ten, so the decoders past the size check run
        // small values reach enum-like fields (address family, daemon state, protocol)
        const small = fc
          .constantFrom(0, 1, 2, 6, 10, 17, 0x7f, 0xff)
          .map((n) => (spec.kind === "be16" ? u8s(0, n) : le(n, size)));
        payload = fc.oneof(
          { weight: 4, arbitrary: fc.uint8Array({ minLength: size, maxLength: size }) },
          { weight: 4, arbitrary: small },
          { weight: 1, arbitrary: fc.uint8Array({ maxLength: 9 }) },
        );
        break;
      }
      case "string":
      case "rawstring":
        payload = fc.oneof(
          fc.constantFrom(...NAMES).map((s) => new TextEncoder().encode(`${s}\0`)),
          fc.uint8Array({ maxLength: 20 }), // no NUL, invalid UTF-8
        );
        break;
      case "binary": {
        const sizes = spec.sizes ?? [4, 6, 16];
        payload = fc.oneof(
          {
            weight: 4,
            arbitrary: fc.constantFrom(...sizes).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
          },
          { weight: 1, arbitrary: fc.uint8Array({ maxLength: 20 }) },
        );
        break;
      }
      case "flag":
        payload = fc.constant(new Uint8Array(0));
        break;
      case "nested":
        payload = spec.nested && depth > 0 ? attrs(spec.nested, depth - 1) : fc.uint8Array({ maxLength: 32 });
        break;
    }
    return fc.tuple(payload, mostlyZero).map(([p, d]) => tlv(type, p, d));
  });
  return fc.array(one, { maxLength: 8 }).map(cat);
}

/** IFLA_LINKINFO needs its kind to reach the macvlan data: build that nest on purpose */
const linkinfo = fc
  .tuple(fc.constantFrom("macvlan", "veth", "dummy"), attrs(IFLA_MACVLAN, 0), mostlyZero)
  .map(([kind, data, d]) =>
    tlv(
      IFLA.attrs.linkinfo!.type,
      cat([
        tlv(IFLA_INFO.attrs.kind!.type, new TextEncoder().encode(`${kind}\0`), 0),
        tlv(IFLA_INFO.attrs.data!.type, data, 0),
      ]),
      d,
    ),
  );

/** one rtnetlink/genl/ack message with a fixed header, then attributes; nlmsg_len mostly right */
const message: fc.Arbitrary<Uint8Array> = fc
  .tuple(
    fc.oneof(
      fc.tuple(
        fc.constant(K.RTM_NEWLINK),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.oneof(attrs(IFLA, 2), linkinfo),
      ),
      fc.tuple(
        fc.constant(K.RTM_NEWADDR),
        fc
          .tuple(fc.constantFrom(K.AF_INET, K.AF_INET6, 0, 7), fc.uint8Array({ minLength: 7, maxLength: 7 }))
          .map(([f, r]) => u8s(f, ...r)),
        attrs(IFA, 1),
      ),
      fc.tuple(
        fc.constant(K.NLMSG_ERROR),
        fc
          .tuple(fc.integer({ min: -200, max: 1 }), fc.uint8Array({ minLength: 16, maxLength: 40 }))
          .map(([e, req]) => cat([le(e >>> 0, 4), le(16 + (req.length % 8), 4), req.subarray(4)])),
        attrs(
          {
            name: "nlmsgerr",
            attrs: {
              msg: { type: 1, kind: "string" },
              offset: { type: 2, kind: "u32" },
              missType: { type: 5, kind: "u32" },
            },
          },
          0,
        ),
      ),
      fc.tuple(fc.constant(0x10), fc.constant(u8s(1, 2, 0, 0)), attrs(CTRL_ATTRS, 1)),
      fc.tuple(fc.constant(K.RTM_NEWROUTE), fc.uint8Array({ minLength: 12, maxLength: 12 }), attrs(RTA, 1)),
    ),
    fc.constantFrom(0, K.NLM_F_MULTI, K.NLM_F_ACK_TLVS, K.NLM_F_ACK_TLVS | K.NLM_F_CAPPED),
    mostlyZero,
  )
  .map(([[type, fixed, body], flags, d]) => {
    const len = 16 + fixed.length + body.length;
    return cat([le(Math.max(0, len + d), 4), le(type, 2), le(flags, 2), le(1, 4), le(0, 4), fixed, body]);
  });

// ---------------------------------------------------------------- netlink datagrams

type Capture = { request: string; reply: string };
function netlinkSeeds(): Uint8Array[] {
  const json = (f: string) => JSON.parse(readFileSync(join(FIX, "netlink", f), "utf8"));
  return [
    ...(json("ip-requests.json").captures as Capture[]).flatMap((c) => [hexBytes(c.request), hexBytes(c.reply)]),
    ...(json("link-dump.json").datagrams as string[]).map(hexBytes),
    ...(json("addr-dump.json").datagrams as string[]).map(hexBytes),
  ].filter((b) => b.length > 0);
}

function checkMessage(m: NlMessage, count = false): void {
  const seen = (what: string) => count && hit(netlink, what);
  for (const flags of [0, K.NLM_F_ACK_TLVS, K.NLM_F_ACK_TLVS | K.NLM_F_CAPPED]) {
    const a = noThrow("decodeAck", () => decodeAck({ ...m, type: K.NLMSG_ERROR, flags }));
    if (checkResult("decodeAck", a, NL_CODES)) {
      expectThat(Number.isInteger(a.value.errno) && a.value.errno >= 0, `errno ${a.value.errno}`);
      if (a.value.extack !== undefined) seen("extack");
    }
  }
  const l = noThrow("decodeLink", () => decodeLink(m));
  if (checkResult("decodeLink", l, NL_CODES)) {
    expectThat(typeof l.value.name === "string" && Number.isInteger(l.value.ifindex), "link without name or index");
    if (m.type === K.RTM_NEWLINK) seen("link");
    if (l.value.kind !== undefined) seen("link kind");
  }
  const a = noThrow("decodeAddress", () => decodeAddress(m));
  if (checkResult("decodeAddress", a, NL_CODES)) {
    expectThat(canonicalIp(a.value.address) === a.value.address, `address '${a.value.address}'`);
    seen(`addr v${a.value.family}`);
  }
  const mv = noThrow("macvlanModeOf", () => macvlanModeOf(m));
  if (checkResult("macvlanModeOf", mv, NL_CODES) && mv.value !== undefined) seen("macvlan mode");
  if (
    checkResult(
      "decodeFamily",
      noThrow("decodeFamily", () => decodeFamily(m.payload)),
      NL_CODES,
    )
  )
    seen("genl family");
  for (const s of [IFA, RTA, FRA, IFLA, IPVS_CMD])
    checkResult(
      `decodeAttrs(${s.name})`,
      noThrow("decodeAttrs", () => decodeAttrs(s, m.payload)),
      NL_CODES,
    );
}

export const netlink: Target = {
  name: "netlink",
  budgetMs: 500,
  ciRuns: 2000,
  mustReach: ["link", "link kind", "macvlan mode", "addr v4", "addr v6", "extack", "genl family"],
  reached: new Map(),
  run(b) {
    const p = noThrow("parseMessages", () => parseMessages(b));
    if (checkResult("parseMessages", p, NL_CODES)) {
      let total = 0;
      for (const m of p.value) {
        expectThat(m.payload.length === m.len - 16, `payload of ${m.payload.length} bytes for nlmsg_len ${m.len}`);
        total += m.len;
      }
      expectThat(total <= b.length, `messages of ${total} bytes in a ${b.length}-byte datagram`);
      for (const m of p.value) checkMessage(m, true);
    }
    // the body decoders also see bytes parseMessages would refuse (the monitor hands over each message)
    checkMessage({ len: b.length + 16, type: 0, flags: 0, seq: 0, pid: 0, payload: b });
  },
  inputs() {
    const seeds = netlinkSeeds();
    return fc.oneof(
      { weight: 1, arbitrary: randomBytes(256) },
      { weight: 3, arbitrary: fc.array(message, { minLength: 1, maxLength: 3 }).map(cat) },
      { weight: 4, arbitrary: mutated(seeds) },
    );
  },
};

// ---------------------------------------------------------------- IPVS

type IpvsMsg = { dir: "send" | "recv"; hex: string };
function ipvsSeeds(): Uint8Array[] {
  const steps: { messages: IpvsMsg[] }[] = JSON.parse(
    readFileSync(join(FIX, "ipvs/ipvs-genl-vectors.json"), "utf8"),
  ).steps;
  const out: Uint8Array[] = [];
  for (const s of steps) {
    for (const m of s.messages) {
      const p = parseMessages(hexBytes(m.hex));
      if (p.ok) for (const msg of p.value) if (msg.payload.length > 4) out.push(msg.payload.slice());
    }
  }
  return out;
}

export const ipvs: Target = {
  name: "ipvs",
  budgetMs: 500,
  ciRuns: 2000,
  mustReach: ["service", "fwmark service", "dest", "info", "timeouts", "daemon"],
  reached: new Map(),
  run(p) {
    const s = noThrow("decodeService", () => decodeService(p));
    if (checkResult("decodeService", s, NL_CODES)) {
      const v = s.value;
      expectThat(v.family === 4 || v.family === 6, `family ${v.family}`);
      if (v.address !== undefined) expectThat(canonicalIp(v.address) === v.address, `service address '${v.address}'`);
      expectThat(v.address !== undefined || v.fwmark !== undefined, "a service with neither an address nor a fwmark");
      hit(ipvs, v.fwmark !== undefined ? "fwmark service" : "service");
    }
    for (const fam of [4, 6] as const) {
      const d = noThrow("decodeDest", () => decodeDest(p, fam));
      if (checkResult("decodeDest", d, NL_CODES)) {
        expectThat(canonicalIp(d.value.address) === d.value.address, `dest address '${d.value.address}'`);
        hit(ipvs, "dest");
      }
    }
    if (
      checkResult(
        "decodeInfo",
        noThrow("decodeInfo", () => decodeInfo(p)),
        NL_CODES,
      )
    )
      hit(ipvs, "info");
    if (
      checkResult(
        "decodeTimeouts",
        noThrow("decodeTimeouts", () => decodeTimeouts(p)),
        NL_CODES,
      )
    )
      hit(ipvs, "timeouts");
    const dm = noThrow("decodeDaemon", () => decodeDaemon(p));
    if (checkResult("decodeDaemon", dm, NL_CODES)) {
      if (dm.value.group !== undefined)
        expectThat(canonicalIp(dm.value.group) === dm.value.group, `group '${dm.value.group}'`);
      hit(ipvs, "daemon");
    }
  },
  inputs() {
    const seeds = ipvsSeeds();
    // genlmsghdr {cmd, version, reserved} + the command's attributes, built from IPVS's schemas
    // each reply command with the nest it carries, so the decoders get past "no IPVS_CMD_ATTR_*"
    const nest = (name: "service" | "dest" | "daemon") => {
      const spec = IPVS_CMD.attrs[name]!;
      return fc
        .tuple(attrs(spec.nested!, 1), attrs(IPVS_CMD, 1))
        .map(([inner, rest]) => cat([tlv(spec.type | spec.flags!, inner, 0), rest]));
    };
    const body: [number, fc.Arbitrary<Uint8Array>][] = [
      [I.IPVS_CMD_NEW_SERVICE, nest("service")],
      [I.IPVS_CMD_NEW_DEST, nest("dest")],
      [I.IPVS_CMD_NEW_DAEMON, nest("daemon")],
      [I.IPVS_CMD_SET_CONFIG, attrs(IPVS_CMD, 1)],
      [I.IPVS_CMD_SET_INFO, attrs(IPVS_INFO, 0)],
    ];
    const built = fc
      .tuple(
        fc.constantFrom(...body),
        fc.oneof({ weight: 9, arbitrary: fc.constant(-1) }, { weight: 1, arbitrary: fc.nat({ max: 255 }) }),
      )
      .chain(([[cmd, a], other]) => a.map((b) => cat([u8s(other < 0 ? cmd : other, 1, 0, 0), b])));
    return fc.oneof(
      { weight: 1, arbitrary: randomBytes(200) },
      { weight: 4, arbitrary: built },
      { weight: 4, arbitrary: mutated(seeds) },
    );
  },
};
