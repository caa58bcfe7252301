/**
 * global_defs keywords for IPVS: the connection sync daemon, protocol timeouts and
 * flushing (keepalived core/global_parser.c).
 */
import { type Ctx, type Keyword, quote } from "../schema";
import type { Token } from "../tree";
import { isIP, isMulticast } from "../../base/ip";
import { bareAddress, flag } from "./helpers";
import { deprecated } from "./defs-process";
import type { GlobalDefs, LvsSyncDaemon, LvsTimeouts } from "./model";

type K = Keyword<GlobalDefs>;

/** IP_VS_IFNAME_MAXLEN */
const IFNAME_MAXLEN = 16;
/** LVS_MAX_TIMEOUT: 31 days */
const LVS_MAX_TIMEOUT = 86400 * 31;

/**
 * `lvs_sync_daemon IFNAME [[inst] VRRP_INSTANCE] [id N] [maxlen N] [port N] [ttl N] [group ADDR]`.
 * The old positional form `IFNAME VRRP_INSTANCE [SYNCID]` is still accepted.
 */
const lvsSyncDaemon: K = {
  parse: (c, n, t) => {
    if (t.lvsSyncDaemon)
      return void c.error(
        n.keyword,
        "duplicate",
        `lvs_sync_daemon has already been specified as '${t.lvsSyncDaemon.interface}' - ignoring this one`,
      );
    const ifTok = n.args[0];
    if (!ifTok) return void c.error(n.keyword, "missing-argument", "'lvs_sync_daemon' needs an interface");
    if (ifTok.text.length >= IFNAME_MAXLEN)
      return void c.error(
        ifTok,
        "too-long",
        `lvs_sync_daemon interface name '${ifTok.text}' is too long (at most ${IFNAME_MAXLEN - 1} characters)`,
      );
    const d: LvsSyncDaemon = { interface: ifTok.text };
    const a = n.args;
    const value = (i: number): Token | undefined => {
      const v = a[i + 1];
      if (!v) c.error(a[i] as Token, "missing-argument", `lvs_sync_daemon: no value after '${(a[i] as Token).text}'`);
      return v;
    };
    for (let i = 1; i < a.length; i++) {
      const tok = a[i] as Token;
      const opt = tok.text;
      if (opt === "inst" || opt === "id" || opt === "maxlen" || opt === "port" || opt === "ttl" || opt === "group") {
        const v = value(i);
        i++;
        if (!v) continue;
        if (opt === "inst") {
          if (d.vrrpInstance !== undefined)
            c.error(
              tok,
              "duplicate",
              `lvs_sync_daemon vrrp instance has already been specified as '${d.vrrpInstance}' - ignoring this one`,
            );
          else d.vrrpInstance = v.text;
        } else if (opt === "id") setNum(c, d, "syncId", v, 0, 255);
        else if (opt === "maxlen") setNum(c, d, "maxLen", v, 1, 65535 - 20 - 8);
        else if (opt === "port") setNum(c, d, "port", v, 1, 65535);
        else if (opt === "ttl") setNum(c, d, "ttl", v, 1, 255);
        else {
          const addr = bareAddress(v.text);
          if (isIP(addr) === 0) c.error(v, "bad-address", `lvs_sync_daemon group: '${v.text}' is not an IP address`);
          else if (!isMulticast(addr))
            c.error(v, "not-multicast", `lvs_sync_daemon group address '${v.text}' is not multicast`);
          else d.group = addr;
        }
        continue;
      }
      // backward compatibility: lvs_sync_daemon IFNAME VRRP_INSTANCE [SYNC_ID]
      if (i === 1) {
        d.vrrpInstance = opt;
        continue;
      }
      if (i === 2) {
        const before = d.syncId;
        setNum(c, d, "syncId", tok, 0, 255);
        if (d.syncId !== before) c.warning(tok, "deprecated-syntax", "lvs_sync_daemon: write 'id' before the sync id");
        continue;
      }
      c.error(
        tok,
        "bad-value",
        `unknown lvs_sync_daemon option '${opt}' (expected inst, id, maxlen, port, ttl or group)`,
      );
    }
    t.lvsSyncDaemon = c.origin(d, n);
  },
  emit: (t, kw) => {
    const d = t.lvsSyncDaemon;
    // the interface is what the line is about: without it there is nothing to write
    if (d?.interface === undefined) return [];
    let line = `${kw} ${quote(d.interface)}`;
    if (d.vrrpInstance !== undefined) line += ` inst ${quote(d.vrrpInstance)}`;
    if (d.syncId !== undefined) line += ` id ${d.syncId}`;
    if (d.maxLen !== undefined) line += ` maxlen ${d.maxLen}`;
    if (d.port !== undefined) line += ` port ${d.port}`;
    if (d.ttl !== undefined) line += ` ttl ${d.ttl}`;
    if (d.group !== undefined) line += ` group ${d.group}`;
    return [line];
  },
};

function setNum(
  c: Ctx,
  d: LvsSyncDaemon,
  key: "syncId" | "maxLen" | "port" | "ttl",
  tok: Token,
  min: number,
  max: number,
): void {
  const v = c.intToken(tok, min, max, `lvs_sync_daemon ${key === "syncId" ? "id" : key.toLowerCase()}`);
  if (v !== undefined) d[key] = v;
}

/** `lvs_timeouts [tcp SECS] [tcpfin SECS] [udp SECS]`: at least one. Repeats update. */
const lvsTimeouts: K = {
  parse: (c, n, t) => {
    if (n.args.length < 2)
      return void c.error(
        n.keyword,
        "missing-argument",
        "'lvs_timeouts' needs at least one of tcp SECS, tcpfin SECS, udp SECS",
      );
    const out: LvsTimeouts = { ...t.lvsTimeouts };
    const fields = { tcp: "tcp", tcpfin: "tcpFin", udp: "udp" } as const;
    for (let i = 0; i < n.args.length; i++) {
      const tok = n.args[i] as Token;
      const field = fields[tok.text as keyof typeof fields];
      if (!field) {
        c.oneOfToken(tok, ["tcp", "tcpfin", "udp"] as const, "lvs_timeouts option");
        continue;
      }
      const v = n.args[i + 1];
      if (!v) {
        c.error(tok, "missing-argument", `lvs_timeouts: no value for '${tok.text}'`);
        continue;
      }
      i++;
      const secs = c.intToken(v, 0, LVS_MAX_TIMEOUT, `lvs_timeouts ${tok.text}`);
      if (secs !== undefined) out[field] = secs;
    }
    if (Object.keys(out).length > 0) t.lvsTimeouts = c.origin(out, n);
  },
  emit: (t, kw) => {
    const v = t.lvsTimeouts;
    if (!v) return [];
    const parts = [
      v.tcp !== undefined ? `tcp ${v.tcp}` : "",
      v.tcpFin !== undefined ? `tcpfin ${v.tcpFin}` : "",
      v.udp !== undefined ? `udp ${v.udp}` : "",
    ].filter(Boolean);
    return parts.length > 0 ? [`${kw} ${parts.join(" ")}`] : [];
  },
};

/** `lvs_flush_on_stop [VS]` */
const lvsFlushOnStop: K = {
  parse: (c, n, t) => {
    if (!c.count(n, 0, 1)) return;
    const a = n.args[0];
    if (!a) t.lvsFlushOnStop = "full";
    else if (a.text === "VS") t.lvsFlushOnStop = "vs";
    else c.error(a, "bad-value", `unknown lvs_flush_on_stop type '${a.text}' (only VS, or nothing for a full flush)`);
  },
  emit: (t, kw) => (t.lvsFlushOnStop === "full" ? [kw] : t.lvsFlushOnStop === "vs" ? [`${kw} VS`] : []),
};

export const lvsKeywords: Record<string, K> = {
  lvs_sync_daemon: lvsSyncDaemon,
  lvs_timeouts: lvsTimeouts,
  lvs_flush: flag("lvsFlush"),
  lvs_flush_on_stop: lvsFlushOnStop,
  // deprecated after v2.1.5
  lvs_flush_onstop: deprecated("lvs_flush_on_stop", lvsFlushOnStop.parse),
};
