/**
 * The top-level keywords of the VRRP side of keepalived.conf (vrrp_parser.c
 * init_vrrp_keywords, track_file.c add_track_file_keywords). Order matters when the
 * model is written back: keepalived resolves track_script/track_file/track_process and
 * track_group references while it parses, so the tracked objects are written first.
 */
import type { KeelConfig } from "../model";
import { type BlockSpec, type Ctx, type Emit, type Keyword, emitBlock, emitList, quote } from "../schema";
import type { Node, Token } from "../tree";
import { finishInstance, vrrpInstanceSpec, vrrpSyncGroupSpec, wordList } from "./instance";
import {
  type GarpGroup,
  type TrackGroup,
  type VrrpPart,
  createTrackFile,
  createTrackGroup,
  createTrackProcess,
  createVrrpInstance,
  createVrrpScript,
  createVrrpSyncGroup,
} from "./model";
import { emitAddress, parseAddressLine } from "./net/address";
import { emitRoute, parseRouteLine } from "./net/route";
import { emitRule, parseRuleLine } from "./net/rule";
import { decimalToken, finishTrackProcess, trackFileSpec, trackProcessSpec, vrrpScriptSpec } from "./tracking";

type NamedKey =
  | "vrrpInstances"
  | "vrrpSyncGroups"
  | "vrrpScripts"
  | "trackFiles"
  | "vrrpTrackProcesses"
  | "trackGroups";
type Named = { name: string };

function namedBlock<X extends Named>(
  key: NamedKey,
  spec: BlockSpec<X>,
  create: (name: string) => X,
  finish?: (c: Ctx, n: Node, x: X) => void,
): Keyword<KeelConfig> {
  return {
    parse: (c, n, cfg) => {
      const nameTok = n.args[0];
      if (!nameTok || n.args.length > 1) {
        if (n.args[1])
          c.error(n.args[1], "extra-argument", `${n.keyword.text} takes one name; quote it if it has blanks`);
        else c.error(n.keyword, "missing-argument", `${n.keyword.text} must have a name`);
        c.takeBlock(n);
        return;
      }
      const map = cfg[key] as unknown as Record<string, X>;
      const prev = map[nameTok.text];
      if (prev) {
        const at = c.origins.get(prev);
        c.error(
          nameTok,
          "duplicate-name",
          `${spec.name} ${nameTok.text} is already defined; this block is ignored`,
          at ? [`first defined here: ${at.file}:${at.line}:${at.col}`] : undefined,
        );
        c.takeBlock(n);
        return;
      }
      const x = create(nameTok.text);
      c.origin(x, nameTok);
      c.block(n, spec, x);
      finish?.(c, n, x);
      map[nameTok.text] = x;
    },
    // A hand-written (TOML) model may leave out the whole map, or a block's name: the
    // map key is the name there.
    emit: (cfg, kw) =>
      Object.entries((cfg[key] ?? {}) as unknown as Record<string, X>).map(([k, x]) => ({
        line: `${kw} ${quote(x.name ?? k)}`,
        block: emitBlock(spec, x),
      })),
  };
}

// ---------------------------------------------------------------------------
// small blocks

export const trackGroupSpec: BlockSpec<TrackGroup> = {
  name: "track_group",
  create: () => createTrackGroup(),
  keywords: {
    group: {
      parse: (c, n, t) => {
        if (t.group.length) {
          c.error(n.keyword, "duplicate-keyword", `group list already given for track_group ${t.name}`);
          c.takeBlock(n);
          return;
        }
        t.group = wordList(c, n);
        if (t.group.length === 0) c.warning(n.keyword, "empty-block", `track_group ${t.name} has an empty group block`);
      },
      emit: (t, kw) => emitList(kw, t.group, quote),
    },
  },
};

function garpInterval(key: "garpInterval" | "gnaInterval"): Keyword<GarpGroup> {
  return {
    parse: (c, n, t) => {
      if (!c.count(n, 1)) return;
      const tok = n.args[0] as Token;
      const v = decimalToken(c, tok, 0, 4294, n.keyword.text);
      if (v === undefined) return;
      if (v >= 1) c.warning(tok, "large-interval", `garp_group ${n.keyword.text} ${tok.text} seconds is very large`);
      t[key] = v;
    },
    emit: (t, kw) => (t[key] !== undefined ? [`${kw} ${t[key]}`] : []),
  };
}

export const garpGroupSpec: BlockSpec<GarpGroup> = {
  name: "garp_group",
  keywords: {
    garp_interval: garpInterval("garpInterval"),
    gna_interval: garpInterval("gnaInterval"),
    interface: {
      parse: (c, n, t) => {
        if (c.count(n, 1)) t.interface = n.args[0]?.text;
      },
      emit: (t, kw) => (t.interface !== undefined ? [`${kw} ${t.interface}`] : []),
    },
    interfaces: {
      parse: (c, n, t) => {
        const l = wordList(c, n);
        if (l.length === 0) c.warning(n.keyword, "empty-block", "empty garp_group interfaces block");
        t.interfaces = [...(t.interfaces ?? []), ...l];
      },
      emit: (t, kw) => (t.interfaces?.length ? [{ line: kw, block: t.interfaces }] : []),
    },
  },
};

const garpGroup: Keyword<KeelConfig> = {
  parse: (c, n, cfg) => {
    const g: GarpGroup = {};
    c.origin(g, n);
    c.block(n, garpGroupSpec, g);
    if (g.garpInterval === undefined && g.gnaInterval === undefined) {
      c.error(
        n.keyword,
        "missing-keyword",
        "garp_group has neither garp_interval nor gna_interval; keepalived removes it",
      );
      return;
    }
    cfg.garpGroups.push(g);
  },
  emit: (cfg, kw) => (cfg.garpGroups ?? []).map((g) => ({ line: kw, block: emitBlock(garpGroupSpec, g) })),
};

const staticIpaddress: Keyword<KeelConfig> = {
  parse: (c, n, cfg) => {
    c.count(n, 0);
    for (const line of c.lines(n)) {
      const a = parseAddressLine(c, line, { isStatic: true, allowUseVmac: false, what: "static_ipaddress" });
      if (a) cfg.staticIpaddresses.push(a);
    }
  },
  emit: (cfg, kw) => emitList(kw, cfg.staticIpaddresses, emitAddress),
};

const staticRoutes: Keyword<KeelConfig> = {
  parse: (c, n, cfg) => {
    c.count(n, 0);
    for (const line of c.lines(n)) {
      const r = parseRouteLine(c, line, { isStatic: true, what: "static_routes" });
      if (r) cfg.staticRoutes.push(r);
    }
  },
  emit: (cfg, kw) => emitList(kw, cfg.staticRoutes, emitRoute),
};

const staticRules: Keyword<KeelConfig> = {
  parse: (c, n, cfg) => {
    c.count(n, 0);
    for (const line of c.lines(n)) {
      const r = parseRuleLine(c, line, { isStatic: true, what: "static_rules" });
      if (r) cfg.staticRules.push(r);
    }
  },
  emit: (cfg, kw) => emitList(kw, cfg.staticRules, emitRule),
};

const trackFile = namedBlock("trackFiles", trackFileSpec, createTrackFile, (c, n, t) => {
  if (t.file === undefined)
    c.error(n.keyword, "missing-keyword", `track_file ${t.name}: no 'file' given; keepalived ignores it`);
});

const vrrpScript = namedBlock("vrrpScripts", vrrpScriptSpec, createVrrpScript, (c, n, t) => {
  if (!t.script?.command)
    c.error(n.keyword, "missing-keyword", `vrrp_script ${t.name}: no 'script' given; keepalived removes it`);
});

export const vrrpTopLevel: Record<string, Keyword<KeelConfig>> = {
  track_group: namedBlock("trackGroups", trackGroupSpec, createTrackGroup, (c, n, t) => {
    if (t.group.length === 0)
      c.error(n.keyword, "missing-keyword", `track_group ${t.name} has no members; keepalived removes it`);
  }),
  vrrp_script: vrrpScript,
  track_file: trackFile,
  vrrp_track_file: {
    parse: (c, n, cfg) => {
      c.warning(n.keyword, "deprecated-keyword", "'vrrp_track_file' is deprecated; write 'track_file'");
      trackFile.parse(c, n, cfg);
    },
  },
  vrrp_track_process: namedBlock("vrrpTrackProcesses", trackProcessSpec, createTrackProcess, finishTrackProcess),
  garp_group: garpGroup,
  static_ipaddress: staticIpaddress,
  static_routes: staticRoutes,
  static_rules: staticRules,
  vrrp_sync_group: namedBlock("vrrpSyncGroups", vrrpSyncGroupSpec, createVrrpSyncGroup, (c, n, g) => {
    if (g.group.length === 0)
      c.error(n.keyword, "missing-keyword", `vrrp_sync_group ${g.name} has no members; keepalived removes it`);
  }),
  vrrp_instance: namedBlock("vrrpInstances", vrrpInstanceSpec, createVrrpInstance, finishInstance),
};

export type { Emit, VrrpPart };
