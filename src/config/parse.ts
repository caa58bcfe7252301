/**
 * Reading a configuration: keepalived.conf text → preprocessed lines → block tree →
 * typed model, then the checks across blocks. Every problem is a diagnostic; the
 * caller decides (keel -t exits non-zero on any error, a reload keeps the old config).
 */
import { Diagnostics } from "./diagnostics";
import { checkGlobal } from "./global/check";
import { globalTopLevel } from "./global/keywords";
import { checkLvs } from "./lvs/check";
import { lvsTopLevel } from "./lvs/keywords";
import { type HostFacts, type KeelConfig, createConfig } from "./model";
import { packedScripts } from "./packed-scripts";
import { INCLUDE_CHECK_BITS, type PreprocessOptions, preprocessTo } from "./preprocess";
import { type BlockSpec, Ctx, type KeywordRecord, type Origins, emitBlock, emitStrict, renderEmit } from "./schema";
import { type ConfigSource, diskSource } from "./source";
import { type Lexeme, TreeBuilder, tokenize } from "./tree";
import { checkVrrp } from "./vrrp/check";
import { vrrpTopLevel } from "./vrrp/keywords";
import { resolveRtNames } from "./vrrp/rt-resolve";
// libc, not node:fs: its evaluation was 17% of a daemon's start (DESIGN.md rule 6)
import { fileExists, nodeFs, readTextFile, statFile } from "../../native-bindings/file";
import { LinkbeatSocket } from "../../native-bindings/linkbeat";

export const topLevel: BlockSpec<KeelConfig> = {
  name: "the top level",
  keywords: { ...globalTopLevel, ...vrrpTopLevel, ...lvsTopLevel },
  create: createConfig,
};

/** Blocks that never appear inside another block: seeing one nested means a missing '}'. */
/** <linux/if.h> IFF_LOOPBACK */
const IFF_LOOPBACK = 0x8;

const TOP_LEVEL_ONLY = new Set([
  "global_defs",
  "vrrp_script",
  "vrrp_instance",
  "vrrp_sync_group",
  "vrrp_track_process",
  "virtual_server",
  "virtual_server_group",
  "static_ipaddress",
  "static_routes",
  "static_rules",
  "bfd_instance",
  "linkbeat_interfaces",
  "interface_up_down_delays",
]);

export interface ParseOptions extends PreprocessOptions {
  source?: ConfigSource;
  host?: HostFacts;
  /** what the keyword tables did, for scripts/compatibility.ts (Ctx.record) */
  record?: KeywordRecord;
  /**
   * Only the diagnostics are wanted (keel -t): the vrrp_scripts are kept as packed
   * columns (packed-scripts.ts), a few dozen bytes a block instead of a few hundred
   */
  packScripts?: boolean;
}

export interface ParseResult {
  config: KeelConfig;
  diagnostics: Diagnostics;
  origins: Origins;
}

/**
 * Interfaces are looked up in /proc/self/net/dev, which lists the network namespace the
 * process runs in (/sys/class/net lists the one sysfs was mounted for: not ours after
 * `keel -s NS`); a missing one is a warning (the config may be for another host).
 */
export const localHost: HostFacts = {
  interfaceExists: (name) => {
    try {
      return readTextFile("/proc/self/net/dev")
        .split("\n")
        .some((l) => l.includes(":") && l.slice(0, l.indexOf(":")).trim() === name);
    } catch {
      return fileExists(`/sys/class/net/${name}`);
    }
  },
  // asked of the kernel in the namespace keel runs in (SIOCGIFFLAGS), since /sys/class/net
  // may be another namespace's after `keel -s NS`; only `vrf` asks, so the socket is rare
  isLoopback: (name) => {
    let s: LinkbeatSocket | undefined;
    try {
      s = LinkbeatSocket.open();
      const f = s.flags(name);
      return f.ok ? (f.value & IFF_LOOPBACK) !== 0 : undefined;
    } catch {
      return undefined;
    } finally {
      s?.close();
    }
  },
  userExists: (name) => inAccountFile("/etc/passwd", name),
  groupExists: (name) => inAccountFile("/etc/group", name),
  pathKind: (path) => {
    try {
      return statFile(path).isDirectory() ? "directory" : "other";
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === "ENOENT" ? "missing" : undefined;
    }
  },
  // keepalived vrrp_auth_hmac_read_key_file: at most 4 + 128 + 8 - 1 bytes are read
  readSecret: (path) => {
    try {
      const st = statFile(path);
      if (!st.isFile() || st.size > 139) return st.isFile() ? { text: "x".repeat(140), mode: st.mode } : undefined;
      return { text: readTextFile(path), mode: st.mode };
    } catch {
      return undefined;
    }
  },
  rtFiles: {
    readFile: (path) => {
      try {
        return statFile(path).isFile() ? readTextFile(path) : undefined;
      } catch {
        return undefined;
      }
    },
    listDir: (path) => {
      try {
        return nodeFs().readdirSync(path);
      } catch {
        return undefined;
      }
    },
    exists: (path) => fileExists(path),
    isDir: (path) => {
      try {
        return statFile(path).isDirectory();
      } catch {
        return false;
      }
    },
  },
};

/**
 * Whether /etc/passwd or /etc/group has the name (keepalived uses getpwnam/getgrnam, so
 * a numeric id is not a name). Only "yes" is certain: a name missing there may still
 * come from NSS (LDAP, sssd), so callers only warn.
 */
function inAccountFile(file: string, name: string): boolean | undefined {
  let text: string;
  try {
    text = readTextFile(file);
  } catch {
    return undefined;
  }
  return text.split("\n").some((l) => {
    const colon = l.indexOf(":");
    return colon > 0 && l.slice(0, colon) === name;
  });
}

export function parseConf(path: string, opts: ParseOptions = {}): ParseResult {
  const diagnostics = new Diagnostics();
  const config = createConfig();
  const ctx = new Ctx(diagnostics);
  ctx.record = opts.record;
  if (opts.packScripts) config.vrrpScripts = packedScripts(ctx.origins);
  // Streamed: each line goes into the tree as it is read, each finished top-level block
  // into its handlers, and neither the lines nor the tree are ever held whole (a 100 MB
  // configuration once took 8.8 GB). The phases keep the diagnostics in the order of
  // reading all lines, tokenizing them all, building the whole tree, then running the
  // handlers, as when each step ran over the whole configuration before the next.
  const tree = new TreeBuilder(diagnostics, TOP_LEVEL_ONLY, (node) =>
    diagnostics.inPhase(3, () => ctx.run([node], topLevel, config)),
  );
  const lex: Lexeme[] = [];
  // keepalived applies include_check from where it is written: a global_defs that has
  // closed runs its handlers before the include is read
  const includeCheck = () => {
    diagnostics.inPhase(2, () => tree.settle());
    return config.globalDefs.includeCheck.reduce((bits, check) => bits | (INCLUDE_CHECK_BITS[check] ?? 0), 0);
  };
  preprocessTo(path, opts.source ?? diskSource, diagnostics, { includeCheck, ...opts }, (line) => {
    const was = diagnostics.enterPhase(1);
    tokenize(line, diagnostics, lex);
    diagnostics.enterPhase(2);
    tree.feed(line, lex);
    diagnostics.enterPhase(was);
    lex.length = 0;
  });
  diagnostics.inPhase(2, () => tree.end());
  diagnostics.release();
  const host = opts.host ?? localHost;
  checkGlobal(config, ctx, host);
  checkVrrp(config, ctx, host);
  resolveRtNames(config, ctx, host);
  checkLvs(config, ctx, host);
  return { config, diagnostics, origins: ctx.origins };
}

/**
 * The model written back as keepalived.conf text. The model may be partial (TOML input):
 * missing fields are not written. `strict` rethrows an emitter's error instead of
 * dropping that keyword (for tests).
 */
export function emitConf(config: KeelConfig, opts: { strict?: boolean } = {}): string {
  const emit = () => renderEmit(emitBlock(topLevel, config));
  return opts.strict ? emitStrict(emit) : emit();
}
