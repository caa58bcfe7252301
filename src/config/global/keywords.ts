/**
 * Top-level keywords of the global area: `global_defs { ... }` and the statements that
 * keepalived installs at the root next to it (core/global_parser.c install_keyword_root:
 * net_namespace, net_namespace_ipvs, namespace_with_ipsets, instance, use_pid_dir,
 * linkbeat_use_polling, child_wait_time; vrrp/vrrp_parser.c: linkbeat_interfaces,
 * interface_up_down_delays).
 */
import type { KeelConfig } from "../model";
import { type Ctx, type Keyword, emitBlock, emitScalar, intField, quote } from "../schema";
import type { Node, Token } from "../tree";
import { globalDefsSpec } from "./defs";
import { UINT_MAX, flag, wordArg } from "./helpers";
import { interfaceUpDownDelays, linkbeatInterfaces } from "./interfaces";
import { tracked } from "./locations";

type K = Keyword<KeelConfig>;

/**
 * keepalived reads each line into a MAXBUF (1024) byte buffer (lib/parser.c read_line,
 * lib/parser.h): 1023 characters at most, substituted lines included. A longer line is
 * dropped ("line too long - ignoring"; 2.2.7 instead reads the rest as a new line and
 * fails on it as an unknown keyword: measured, a router_id line of 1024 characters).
 * A 1 MB router_id is the case that found it.
 */
const KEEPALIVED_MAX_LINE = 1023;

/** Report each global_defs line (nested blocks too) that runs past keepalived's line buffer. */
function checkLineLengths(c: Ctx, nodes: Node[]): void {
  for (const n of nodes) {
    const end = (t: Token) => t.loc.col - 1 + t.text.length + (t.quoted ? 2 : 0);
    const over = [n.keyword, ...n.args].find((t) => t.loc.line === n.keyword.loc.line && end(t) > KEEPALIVED_MAX_LINE);
    if (over) {
      // the offending text itself may be a megabyte: name it by its first characters
      const kw = n.keyword.text.length > 40 ? `${n.keyword.text.slice(0, 40)}...` : n.keyword.text;
      const what = over === n.keyword ? `the line '${kw}'` : `'${kw}' argument`;
      const limit = `keepalived reads at most ${KEEPALIVED_MAX_LINE} characters a line`;
      const msg = `${what} runs to column ${end(over)}; ${limit} and ignores a longer one ('line too long - ignoring')`;
      c.error(over, "line-too-long", msg);
    }
    if (n.block) checkLineLengths(c, n.block);
  }
}

/** `net_namespace NAME` / `instance NAME`: the first one counts (keepalived reports duplicates). */
function onceName(key: "netNamespace" | "instance"): K {
  return {
    parse: (c, n, t) => {
      const v = wordArg(c, n);
      if (v === undefined) return;
      if (t[key] !== undefined)
        return void c.error(
          n.args[0] as Token,
          "duplicate",
          `duplicate ${n.keyword.text} definition '${v}' - ignoring`,
        );
      t[key] = v;
    },
    emit: emitScalar<KeelConfig>(key),
  };
}

export const globalTopLevel: Record<string, Keyword<KeelConfig>> = tracked<KeelConfig>({
  // first, as keepalived configs customarily do: dynamic_interfaces in it affects how
  // keepalived reads linkbeat_interfaces and interface_up_down_delays
  global_defs: {
    parse: (c, n, t) => {
      c.count(n, 0);
      // several global_defs blocks write the same settings; the first one names them
      if (!c.origins.has(t.globalDefs)) c.origin(t.globalDefs, n);
      c.block(n, globalDefsSpec, t.globalDefs);
      if (n.block) checkLineLengths(c, n.block);
    },
    emit: (t, kw) => {
      // a hand-written (TOML) model may have no globalDefs table at all
      const block = t.globalDefs ? emitBlock(globalDefsSpec, t.globalDefs) : [];
      return block.length > 0 ? [{ line: kw, block }] : [];
    },
  },
  net_namespace: onceName("netNamespace"),
  // no name: the default namespace
  net_namespace_ipvs: {
    parse: (c, n, t) => {
      if (!c.count(n, 0, 1)) return;
      if (t.netNamespaceIpvs !== undefined)
        return void c.error(n.keyword, "duplicate", "duplicate net_namespace_ipvs definition - ignoring");
      t.netNamespaceIpvs = n.args[0]?.text ?? "";
    },
    emit: (t, kw) =>
      t.netNamespaceIpvs === undefined ? [] : [t.netNamespaceIpvs === "" ? kw : `${kw} ${quote(t.netNamespaceIpvs)}`],
  },
  namespace_with_ipsets: flag("namespaceWithIpsets"),
  instance: onceName("instance"),
  use_pid_dir: flag("usePidDir"),
  linkbeat_use_polling: flag("linkbeatUsePolling"),
  linkbeat_interfaces: linkbeatInterfaces,
  interface_up_down_delays: interfaceUpDownDelays,
  child_wait_time: intField("childWaitTime", 0, UINT_MAX),
});
