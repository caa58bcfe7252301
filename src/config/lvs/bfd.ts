/**
 * `bfd_instance NAME { ... }` (keepalived bfd/bfd_parser.c). The instance is shared by
 * the BFD process, VRRP's track_bfd and the checkers' BFD_CHECK, so it lives once in
 * the model, keyed by name.
 */
import type { KeelConfig } from "../model";
import { isLinkLocal6 } from "../../base/ip";
import { type BlockSpec, type Ctx, type Keyword, emitBlock, flagField, intField, ipField, quote } from "../schema";
import type { Node, Token } from "../tree";
import { canonicalIp, familyOf } from "./addr";
import { type BfdInstance, createBfdInstance } from "./model";

const INTERVAL_MAX = Math.floor(4294967295 / 1000);
const SENSIBLE_MAX = 10000;

/**
 * neighbor_ip / source_ip. keepalived 2.2.7 reads them with inet_pton (inet_stosockaddr),
 * so a link-local address carries no interface: its datagrams leave by the kernel's
 * first fe80::/64 route, and a link-local source_ip cannot be bound. keel also takes
 * `fe80::1%eth0` (sent and bound with that interface's scope, received only on it),
 * which keepalived refuses ("malformed neighbor address", instance ignored): warned.
 */
function addressField(key: "neighborIp" | "sourceIp"): Keyword<BfdInstance> {
  const plain = ipField<BfdInstance>(key);
  return {
    parse: (c, n, t) => {
      plain.parse(c, n, t);
      const tok = n.args[0];
      const v = t[key];
      if (!tok || v !== tok.text || !v.includes("%")) return;
      if (!isLinkLocal6(v)) {
        c.error(tok, "bad-address", `${n.keyword.text} ${v}: only an IPv6 link-local address takes an interface`);
        t[key] = undefined;
        return;
      }
      c.warning(
        tok,
        "keel-only",
        `${n.keyword.text} ${v}: keepalived 2.2.7 refuses an interface after the address and ignores this bfd_instance; keel uses ${v.slice(v.indexOf("%") + 1)}`,
      );
    },
    emit: plain.emit,
  };
}

/** A millisecond interval with up to 3 decimals (read_decimal_unsigned_strvec(..., 3)). */
function intervalField(key: "minRx" | "minTx" | "idleTx", min: number): Keyword<BfdInstance> {
  return {
    parse: (c, n, t) => {
      if (!c.count(n, 1)) return;
      const tok = n.args[0] as Token;
      let v = c.numToken(tok, min, INTERVAL_MAX, `${n.keyword.text} (milliseconds)`);
      if (v === undefined) return;
      if (/\.\d{4,}$/.test(tok.text)) {
        c.warning(
          tok,
          "too-many-decimals",
          `${n.keyword.text}: '${tok.text}' has more than 3 decimal places; rounded to the microsecond`,
        );
        v = Math.round(v * 1000) / 1000;
      }
      if (v > SENSIBLE_MAX)
        c.warning(
          tok,
          "not-sensible",
          `${n.keyword.text} ${tok.text} ms is larger than the sensible maximum (${SENSIBLE_MAX} ms)`,
        );
      t[key] = v;
    },
    emit: (t, kw, d) => (t[key] === undefined || t[key] === d?.[key] ? [] : [`${kw} ${t[key]}`]),
  };
}

export const bfdSpec: BlockSpec<BfdInstance> = {
  name: "bfd_instance",
  create: () => createBfdInstance(""),
  aliases: { neighbour_ip: "neighbor_ip", hoplimit: "ttl" },
  keywords: {
    neighbor_ip: addressField("neighborIp"),
    source_ip: addressField("sourceIp"),
    min_rx: intervalField("minRx", 1),
    min_tx: intervalField("minTx", 1),
    idle_tx: intervalField("idleTx", 1000),
    multiplier: intField<BfdInstance>("multiplier", 1, 255),
    passive: flagField<BfdInstance>("passive"),
    ttl: intField<BfdInstance>("ttl", 1, 255),
    max_hops: intField<BfdInstance>("maxHops", -1, 255),
    multihop: {
      parse: (c, n, t) => {
        const v = c.bool(n, 0);
        if (v !== undefined) t.multihop = v;
      },
      emit: (t) => (t.multihop ? ["multihop"] : []),
    },
    weight: {
      // used by VRRP's track_bfd (bfd_vrrp_weight_handler)
      parse: (c, n, t) => {
        if (!c.count(n, 1, 2)) return;
        const w = c.int(n, 0, -253, 253);
        const opt = n.args[1];
        if (opt && opt.text !== "reverse") {
          c.error(opt, "bad-value", `unknown weight option '${opt.text}' (expected reverse)`);
          return;
        }
        if (w === undefined) return;
        t.weight = w;
        t.weightReverse = opt !== undefined;
      },
      // `reverse` needs a weight before it: a weight left out (a hand-written model) is 0
      emit: (t) =>
        (t.weight ?? 0) === 0 && !t.weightReverse
          ? []
          : [`weight ${t.weight ?? 0}${t.weightReverse ? " reverse" : ""}`],
    },
    vrrp: flagField<BfdInstance>("vrrp"),
    checker: flagField<BfdInstance>("checker"),
  },
};

/** Neighbour, source and multihop identify a session (find_bfd_by_addr); a link-local one also by its interface. */
function sessionKey(b: BfdInstance): string {
  const at = (ip: string) => canonicalIp(ip) + (ip.includes("%") ? ip.slice(ip.indexOf("%")) : "");
  return `${at(b.neighborIp ?? "")}|${b.sourceIp ? at(b.sourceIp) : ""}|${b.multihop}`;
}

function parseBfdInstance(c: Ctx, n: Node, cfg: KeelConfig): void {
  if (!c.count(n, 1)) {
    c.takeBlock(n);
    return;
  }
  const nameTok = n.args[0] as Token;
  const name = nameTok.text;
  const b = createBfdInstance(name);
  c.origin(b, n);
  c.block(n, bfdSpec, b);
  if (name.length >= 32) {
    c.error(nameTok, "bad-value", `bfd_instance name '${name}' is too long (at most 31 characters)`);
    return;
  }
  if (cfg.bfdInstances[name]) {
    c.error(nameTok, "duplicate-name", `bfd_instance '${name}' is already defined; keepalived ignores this one`);
    return;
  }
  if (!n.block) return;
  if (!b.neighborIp) {
    c.error(n.keyword, "missing-keyword", `bfd_instance '${name}' has no neighbor_ip; keepalived disables it`);
    return;
  }
  if (b.sourceIp && familyOf(b.sourceIp) !== familyOf(b.neighborIp)) {
    c.error(
      n.keyword,
      "family-mismatch",
      `bfd_instance '${name}': source_ip ${b.sourceIp} and neighbor_ip ${b.neighborIp} are not of the same family`,
    );
    return;
  }
  const key = sessionKey(b);
  const dup = Object.values(cfg.bfdInstances).find((o) => sessionKey(o) === key);
  if (dup) {
    c.error(
      n.keyword,
      "duplicate-session",
      `bfd_instance '${name}' has the same neighbor/source address as '${dup.name}'; keepalived ignores it`,
    );
    return;
  }
  const ttl = b.ttl ?? (familyOf(b.neighborIp) === 4 ? 255 : 64);
  if (b.maxHops > ttl) {
    c.warning(
      n.keyword,
      "bad-value",
      `bfd_instance '${name}': max_hops ${b.maxHops} exceeds the ttl/hoplimit ${ttl}; keepalived uses ${ttl}`,
    );
    b.maxHops = ttl;
  }
  cfg.bfdInstances[name] = b;
}

export const bfdTopLevel: Record<string, Keyword<KeelConfig>> = {
  bfd_instance: {
    parse: parseBfdInstance,
    // a hand-written model may leave out an instance's name: the map key is the name there
    emit: (cfg) =>
      Object.entries(cfg.bfdInstances ?? {}).map(([k, b]) => ({
        line: `bfd_instance ${quote(b.name ?? k)}`,
        block: emitBlock(bfdSpec, b),
      })),
  },
};
