// Routes with metrics (RTA_METRICS with RTAX_LOCK), `from` (RTA_SRC + rtm_src_len), `pref`
// (RTA_PREF), `expires` (RTA_EXPIRES) and `ttl-propagate` (RTA_TTL_PROPAGATE): keel's request
// bytes against iproute2's for the same route (test/fixtures/netlink/ip-metric-requests.json,
// written by capture-metrics.ts), and the layout keepalived 2.2.7's netlink_route builds.
import { describe, expect, test } from "bun:test";
import { parseMessages, splitAttrs } from "../../../native-bindings/netlink/codec";
import * as K from "../../../native-bindings/netlink/constants";
import { decodeRoute, routeRequest } from "../../../native-bindings/netlink/messages";
import type { RouteSpec } from "../../../native-bindings/netlink/types";
import { hex, loadCaptures, seqOf } from "./route-captures";

const { cap } = loadCaptures("ip-metric-requests.json");
/** nlmsg_seq/pid zeroed, and the padding after each attribute (top level, RTA_METRICS, RTA_ENCAP) */
function normalised(h: string): string {
  const b = Buffer.from(h, "hex");
  b.fill(0, 8, 16);
  const pads = (off: number, end: number, nested: boolean): void => {
    while (off + 4 <= end) {
      const len = b.readUInt16LE(off);
      const type = b.readUInt16LE(off + 2) & K.NLA_TYPE_MASK;
      if (len < 4) return;
      const next = off + ((len + 3) & ~3);
      b.fill(0, off + len, Math.min(next, end));
      if (nested && (type === K.RTA_METRICS || type === K.RTA_ENCAP)) pads(off + 4, off + len, false);
      off = next;
    }
  };
  pads(28, b.length, true);
  return b.toString("hex");
}

const D0 = 2;
const base = { protocol: K.RTPROT_KEEPALIVED, scope: K.RT_SCOPE_UNIVERSE };
const bit = (...x: number[]): number => x.reduce((a, n) => a | (1 << n), 0);

describe("metrics, from, pref, expires, ttl-propagate: the same bytes as iproute2", () => {
  const same: [string, RouteSpec][] = [
    [
      "route4-metrics",
      {
        family: 4,
        dst: "192.168.30.0",
        prefixLen: 24,
        via: "10.0.0.254",
        metric: 7,
        ifindex: D0,
        // keepalived's get_time_rtt: rtt 300ms in 1/8 ms, rttvar 250ms in 1/4 ms, rto_min 1.5s in ms
        metrics: {
          congctl: "cubic",
          rtt: 2400,
          rttvar: 1000,
          rtoMin: 1500,
          features: K.RTAX_FEATURE_ECN,
          mtu: 1400,
          window: 1000,
          ssthresh: 20,
          cwnd: 10,
          advmss: 1300,
          reordering: 5,
          hoplimit: 64,
          initcwnd: 12,
          initrwnd: 14,
          quickack: 1,
          fastopenNoCookie: 1,
          // iproute2 always locks rto_min (its iproute_modify sets the bit with or without
          // `lock`); keepalived locks it only for `rto_min lock`: this is keepalived's with it
          lock: bit(K.RTAX_CC_ALGO, K.RTAX_RTTVAR, K.RTAX_MTU, K.RTAX_CWND, K.RTAX_ADVMSS, K.RTAX_RTO_MIN),
        },
      },
    ],
    [
      "route4-mtu",
      { family: 4, dst: "192.168.32.0", prefixLen: 24, via: "10.0.0.254", ifindex: D0, metrics: { mtu: 1280 } },
    ],
    [
      "route6-from-pref-expires",
      {
        family: 6,
        dst: "2001:db8:30::",
        prefixLen: 64,
        from: "2001:db8:99::",
        fromLen: 64,
        via: "2001:db8::3",
        metric: 9,
        expires: 300,
        pref: K.ICMPV6_ROUTER_PREF_HIGH,
        ifindex: D0,
        metrics: { mtu: 1300 },
      },
    ],
    [
      "route6-pref-low",
      {
        family: 6,
        dst: "2001:db8:31::",
        prefixLen: 64,
        via: "2001:db8::3",
        pref: K.ICMPV6_ROUTER_PREF_LOW,
        ifindex: D0,
      },
    ],
    [
      "route4-ttl-propagate",
      {
        family: 4,
        dst: "192.168.31.0",
        prefixLen: 24,
        via: "10.0.0.254",
        encap: { type: "mpls", labels: [100] },
        ttlPropagate: false,
        ifindex: D0,
      },
    ],
  ];
  const prepend: RouteSpec = { family: 4, dst: "192.168.33.0", prefixLen: 24, via: "10.0.0.254", ifindex: D0 };
  same.push(["route4-prepend", { ...prepend, mode: "prepend" }], ["route4-append", { ...prepend, mode: "append" }]);
  for (const [name, spec] of same) {
    test(`${name}: ${cap(name).cmd}`, () => {
      const c = cap(name);
      const ours = hex(routeRequest("new", { ...base, ...spec }, seqOf(c.request)));
      expect(normalised(ours)).toBe(normalised(c.request));
      expect(ours.slice(32)).toBe(normalised(ours).slice(32));
    });
  }
});

describe("keepalived's layout", () => {
  const attrsOf = (req: Uint8Array) => {
    const m = parseMessages(req);
    if (!m.ok) throw new Error(m.error.message);
    const at = splitAttrs(m.value[0]!.payload.subarray(12), "rtmsg");
    if (!at.ok) throw new Error(at.error.message);
    return at.value;
  };

  test("RTAX_LOCK last in RTA_METRICS, and no RTA_METRICS (so no lock) without a metric", () => {
    const req = routeRequest(
      "new",
      { family: 4, dst: "10.1.0.0", prefixLen: 16, metrics: { lock: 4, advmss: 1, mtu: 2 } },
      1,
    );
    const met = attrsOf(req).find((a) => a.type === K.RTA_METRICS);
    const inner = met && splitAttrs(met.payload, "metrics");
    expect(inner?.ok && inner.value.map((a) => a.type)).toEqual([K.RTAX_MTU, K.RTAX_ADVMSS, K.RTAX_LOCK]);
    const none = routeRequest(
      "new",
      { family: 4, dst: "10.1.0.0", prefixLen: 16, metrics: { lock: 4, features: 0 } },
      1,
    );
    expect(attrsOf(none).some((a) => a.type === K.RTA_METRICS)).toBe(false);
  });

  test("nlmsg_flags by mode: add NLM_F_EXCL (the default here), prepend none, append NLM_F_APPEND; delete only ACK", () => {
    const flags = (op: "new" | "del", mode?: RouteSpec["mode"]) =>
      Buffer.from(routeRequest(op, { family: 4, dst: "10.1.0.0", mode }, 1)).readUInt16LE(6);
    const req = K.NLM_F_REQUEST | K.NLM_F_ACK;
    expect(flags("new")).toBe(req | K.NLM_F_CREATE | K.NLM_F_EXCL);
    expect(flags("new", "add")).toBe(req | K.NLM_F_CREATE | K.NLM_F_EXCL);
    expect(flags("new", "prepend")).toBe(req | K.NLM_F_CREATE);
    expect(flags("new", "append")).toBe(req | K.NLM_F_CREATE | K.NLM_F_APPEND);
    expect(flags("del", "append")).toBe(req);
  });

  test("a route event carrying RTA_METRICS, RTA_SRC, RTA_PREF and RTA_EXPIRES still decodes (route-events.ts reads it)", () => {
    const c = cap("route6-from-pref-expires");
    const m = parseMessages(new Uint8Array(Buffer.from(c.request, "hex")));
    if (!m.ok) throw new Error(m.error.message);
    const r = decodeRoute(m.value[0]!);
    expect(r.ok && r.value).toMatchObject({ family: 6, dst: "2001:db8:30::", prefixLen: 64, metric: 9, oif: D0 });
  });

  test("rtm_src_len carries the `from` prefix; a host prefix when none is given", () => {
    const req = routeRequest("new", { family: 6, dst: "2001:db8::", prefixLen: 32, from: "2001:db8:1::1" }, 1);
    expect(req[16 + 2]).toBe(128);
  });

  test("bad values name the request and the field", () => {
    expect(() => routeRequest("new", { family: 4, dst: "10.1.0.0", metrics: { mtu: -1 } }, 1)).toThrow(
      /RTM_NEWROUTE 10\.1\.0\.0\/32 mtu -1: .*mtu -1 is not 0\.\.4294967295/,
    );
    expect(() => routeRequest("new", { family: 4, dst: "10.1.0.0", metrics: { congctl: "" } }, 1)).toThrow(
      /congctl ""/,
    );
    expect(() => routeRequest("new", { family: 6, dst: "2001:db8::", pref: 256 }, 1)).toThrow(
      /pref 256 is not 0\.\.255/,
    );
  });
});
