/**
 * Tracking: the track_interface / track_script / track_file / track_process / track_bfd
 * blocks of vrrp_instance and vrrp_sync_group (vrrp_track.c alloc_track_*,
 * track_file.c vrrp_alloc_track_file), and the tracked objects themselves:
 * vrrp_script, track_file (vrrp_track_file), vrrp_track_process.
 */
import {
  type BlockSpec,
  type Ctx,
  type Emit,
  type Keyword,
  emitList,
  emitScalar,
  flagField,
  intField,
  quote,
} from "../schema";
import { parseScript } from "../script";
import type { Node, Token } from "../tree";
import {
  type TrackFile,
  type TrackInterface,
  type TrackProcess,
  type TrackRef,
  type Tracking,
  type VrrpScript,
  createTrackFile,
  createTrackProcess,
  createVrrpScript,
} from "./model";

/** 1 µs resolution decimals (keepalived TIMER_HZ_DIGITS = 6). */
export function decimalToken(c: Ctx, t: Token, min: number, max: number, what: string, digits = 6): number | undefined {
  const v = c.numToken(t, min, max, what);
  if (v === undefined) return undefined;
  const frac = t.text.split(".")[1];
  if (frac && frac.length > digits) c.warning(t, "precision", `${what}: only ${digits} decimal places are used`);
  return v;
}

/** `WEIGHT [reverse|noreverse]` at n.args[i]. */
function weightArgs(
  c: Ctx,
  n: Node,
  i: number,
  min: number,
  max: number,
  what: string,
  allowNoreverse: boolean,
): { weight?: number; reverse?: boolean } | undefined {
  const w = n.args[i];
  if (!w) {
    c.error(n.keyword, "missing-argument", `'${n.keyword.text}' needs a weight`);
    return undefined;
  }
  const weight = c.intToken(w, min, max, what);
  if (weight === undefined) return undefined;
  const out: { weight?: number; reverse?: boolean } = { weight };
  const r = n.args[i + 1];
  if (r) {
    if (r.text === "reverse") out.reverse = true;
    else if (allowNoreverse && r.text === "noreverse") out.reverse = false;
    else {
      c.error(
        r,
        "bad-value",
        `${what}: unknown weight option '${r.text}'; expected reverse${allowNoreverse ? " or noreverse" : ""}`,
      );
      return undefined;
    }
  }
  const extra = n.args[i + 2];
  if (extra) c.error(extra, "extra-argument", `${what}: unexpected '${extra.text}'`);
  return out;
}

type TrackKind = "interface" | "script" | "file" | "process" | "bfd";

/** keepalived's weight ranges per tracker (bfd is the only one still enforcing ±253). */
const RANGE: Record<TrackKind, number> = { interface: 254, script: 254, file: 254, process: 254, bfd: 253 };

function parseTrackLine(c: Ctx, line: Token[], kind: TrackKind, owner: string): TrackRef | undefined {
  const [name, ...rest] = line;
  if (!name) return undefined;
  const ref: TrackRef = { name: name.text };
  if (rest.length === 0) return c.origin(ref, name);
  const [kw, w, r, extra] = rest as [Token, Token?, Token?, Token?];
  const what = `track_${kind} ${name.text}`;
  if (kw.text !== "weight") {
    c.error(kw, "bad-option", `${what}: unknown option '${kw.text}'; expected 'weight N'`);
    return undefined;
  }
  if (!w) {
    c.error(kw, "missing-argument", `${what}: weight needs a value`);
    return undefined;
  }
  const max = RANGE[kind];
  let weight = c.intToken(w, -max, max, `${what} weight`);
  if (weight === undefined) return undefined;
  if ((kind === "interface" || kind === "script") && Math.abs(weight) === 254) {
    // vrrp_track.c: "weight for %s cannot be +/-254. Setting to +/-253"
    c.warning(w, "weight-clamped", `${what}: weight cannot be ±254; using ${weight > 0 ? 253 : -253}`);
    weight = weight > 0 ? 253 : -253;
  }
  ref.weight = weight;
  if (r) {
    if (r.text === "reverse") ref.reverse = true;
    else if (r.text === "noreverse" && kind !== "interface") ref.reverse = false;
    else {
      c.error(r, "bad-value", `${what}: unknown weight option '${r.text}'`);
      return undefined;
    }
  }
  if (extra) c.error(extra, "extra-argument", `${what}: unexpected '${extra.text}' in ${owner}`);
  return c.origin(ref, name);
}

function emitTrackRef(r: TrackRef): string | undefined {
  if (r.name === undefined) return undefined;
  let s = quote(r.name);
  if (r.weight !== undefined) s += ` weight ${r.weight}`;
  if (r.reverse === true) s += " reverse";
  else if (r.reverse === false) s += " noreverse";
  return s;
}

type TrackField = "trackScripts" | "trackFiles" | "trackProcesses" | "trackBfds";

function trackRefKeyword<T extends Tracking>(kind: TrackKind, field: TrackField, owner: string): Keyword<T> {
  return {
    parse: (c, n, t) => {
      c.count(n, 0);
      for (const line of c.lines(n)) {
        const ref = parseTrackLine(c, line, kind, owner);
        if (!ref) continue;
        if (t[field].some((x) => x.name === ref.name)) {
          c.warning(line[0] as Token, "duplicate-track", `duplicate track_${kind} ${ref.name}; ignored`);
          continue;
        }
        t[field].push(ref);
      }
    },
    emit: (t, kw) => emitList(kw, t[field], emitTrackRef),
  };
}

function trackInterfaceKeyword<T extends Tracking>(owner: string): Keyword<T> {
  return {
    parse: (c, n, t) => {
      c.count(n, 0);
      for (const line of c.lines(n)) {
        const ref = parseTrackLine(c, line, "interface", owner);
        if (!ref) continue;
        if (t.trackInterfaces.some((x) => x.name === ref.name)) {
          c.warning(line[0] as Token, "duplicate-track", `duplicate track_interface ${ref.name}; ignored`);
          continue;
        }
        const ti: TrackInterface = { name: ref.name, weight: ref.weight ?? 0, reverse: ref.reverse ?? false };
        t.trackInterfaces.push(c.origin(ti, line[0] as Token));
      }
    },
    emit: (t, kw) =>
      emitList(kw, t.trackInterfaces, (x) => {
        if (x.name === undefined) return undefined;
        // `reverse` needs a weight before it; a weight left out is keepalived's 0
        const weight = x.weight ?? 0;
        return `${x.name}${weight !== 0 || x.reverse ? ` weight ${weight}` : ""}${x.reverse ? " reverse" : ""}`;
      }),
  };
}

/** The five track_* keywords shared by vrrp_instance and vrrp_sync_group. */
export function trackingKeywords<T extends Tracking>(owner: string): Record<string, Keyword<T>> {
  return {
    track_interface: trackInterfaceKeyword<T>(owner),
    track_script: trackRefKeyword<T>("script", "trackScripts", owner),
    track_file: trackRefKeyword<T>("file", "trackFiles", owner),
    track_process: trackRefKeyword<T>("process", "trackProcesses", owner),
    track_bfd: trackRefKeyword<T>("bfd", "trackBfds", owner),
  };
}

/**
 * `weight N [reverse]` of vrrp_script, track_file and vrrp_track_process, unless both are
 * at their defaults. `reverse` needs a weight before it: when a hand-written model gives
 * `reverse` without the weight, the default weight is written.
 */
function emitWeight(kw: string, weight: number | undefined, reverse: boolean | undefined, dflt: number): string[] {
  if ((weight === undefined || weight === dflt) && !reverse) return [];
  return [`${kw} ${weight ?? dflt}${reverse ? " reverse" : ""}`];
}

// ---------------------------------------------------------------------------
// vrrp_script

/** Seconds with ms resolution; 0 is accepted by keepalived with an error and made 1. */
function secondsField(key: "interval" | "timeout"): Keyword<VrrpScript> {
  return {
    parse: (c, n, t) => {
      if (!c.count(n, 1)) return;
      const tok = n.args[0] as Token;
      const v = decimalToken(c, tok, 0, 4294967, n.keyword.text, 3);
      if (v === undefined) return;
      if (v === 0) {
        c.error(tok, "out-of-range", `vrrp_script ${t.name}: ${key} must be greater than 0 (keepalived uses 1)`);
        t[key] = 1;
        return;
      }
      t[key] = v;
    },
    emit: emitScalar<VrrpScript>(key),
  };
}

export const vrrpScriptSpec: BlockSpec<VrrpScript> = {
  name: "vrrp_script",
  create: createVrrpScript,
  keywords: {
    script: {
      parse: (c, n, t) => {
        const s = parseScript(c, n);
        if (!s) return;
        // keepalived reads only the command here; the user comes from `user`
        if (s.user !== undefined)
          c.warning(
            n.args[1] as Token,
            "ignored-argument",
            `vrrp_script ${t.name}: words after the script are ignored; quote the command if they are its parameters, use 'user' for the user`,
          );
        // the parsed script itself when there is nothing to drop or carry over: its origin
        // is already the command's, and a big configuration keeps one object and origin fewer
        if (s.user === undefined && t.script?.user === undefined) {
          t.script = s;
          return;
        }
        t.script = {
          command: s.command,
          ...(t.script?.user !== undefined ? { user: t.script.user } : {}),
          ...(t.script?.group !== undefined ? { group: t.script.group } : {}),
        };
        // where the command is named: keel -t reports an insecure script at this line
        c.origin(t.script, n.args[0] as Token);
      },
      emit: (t, kw) => (t.script?.command ? [`${kw} ${quote(t.script.command)}`] : []),
    },
    interval: secondsField("interval"),
    timeout: secondsField("timeout"),
    weight: {
      parse: (c, n, t) => {
        const w = weightArgs(c, n, 0, -253, 253, `vrrp_script ${t.name} weight`, false);
        if (!w) return;
        t.weight = w.weight ?? 0;
        t.weightReverse = w.reverse ?? false;
      },
      emit: (t, kw) => emitWeight(kw, t.weight, t.weightReverse, 0),
    },
    rise: intField<VrrpScript>("rise", 1, 2147483647),
    fall: intField<VrrpScript>("fall", 1, 2147483647),
    user: {
      parse: (c, n, t) => {
        if (!c.count(n, 1, 2)) return;
        const user = n.args[0]?.text as string;
        const group = n.args[1]?.text;
        const at = t.script && c.origins.get(t.script);
        t.script = { command: t.script?.command ?? "", user, ...(group !== undefined ? { group } : {}) };
        if (at) c.origin(t.script, at);
      },
      emit: (t, kw) =>
        t.script?.user !== undefined
          ? [`${kw} ${quote(t.script.user)}${t.script.group !== undefined ? ` ${quote(t.script.group)}` : ""}`]
          : [],
    },
    init_fail: flagField<VrrpScript>("initFail"),
  },
};

// ---------------------------------------------------------------------------
// track_file

export const trackFileSpec: BlockSpec<TrackFile> = {
  name: "track_file",
  create: createTrackFile,
  keywords: {
    file: {
      parse: (c, n, t) => {
        if (!c.count(n, 1)) return;
        if (t.file !== undefined) {
          c.warning(
            n.args[0] as Token,
            "duplicate-keyword",
            `track_file ${t.name}: file already set; '${n.args[0]?.text}' ignored`,
          );
          return;
        }
        t.file = n.args[0]?.text;
      },
      emit: emitScalar<TrackFile>("file"),
    },
    weight: {
      parse: (c, n, t) => {
        const w = weightArgs(c, n, 0, -254, 254, `track_file ${t.name} weight`, false);
        if (!w) return;
        t.weight = w.weight ?? 1;
        t.weightReverse = w.reverse ?? false;
      },
      emit: (t, kw) => emitWeight(kw, t.weight, t.weightReverse, 1),
    },
    init_file: {
      parse: (c, n, t) => {
        const init = { value: 0, overwrite: false };
        for (const a of n.args) {
          if (/^-?\d/.test(a.text)) {
            const v = c.intToken(a, -2147483648, 2147483647, `track_file ${t.name} init_file value`);
            if (v === undefined) continue;
            if (v < -254 || v > 254)
              c.warning(
                a,
                "out-of-range",
                `track_file ${t.name}: init value ${v} is outside the sensible range [-254, 254]`,
              );
            init.value = v;
          } else if (a.text === "overwrite") init.overwrite = true;
          else c.error(a, "bad-value", `track_file ${t.name}: unknown init_file option '${a.text}'`);
        }
        t.initFile = init;
      },
      // a value left out is not written: keepalived's default is 0
      emit: (t, kw) =>
        t.initFile
          ? [
              `${kw}${t.initFile.value !== undefined ? ` ${t.initFile.value}` : ""}${t.initFile.overwrite ? " overwrite" : ""}`,
            ]
          : [],
    },
  },
};

// ---------------------------------------------------------------------------
// vrrp_track_process

function delayField(key: "forkDelay" | "terminateDelay" | "both"): Keyword<TrackProcess> {
  return {
    parse: (c, n, t) => {
      if (!c.count(n, 1)) return;
      const v = decimalToken(c, n.args[0] as Token, 0.000001, 3600, n.keyword.text);
      if (v === undefined) return;
      if (key !== "terminateDelay") t.forkDelay = v;
      if (key !== "forkDelay") t.terminateDelay = v;
    },
    // `delay` sets both and is written back as the two keywords it stands for
    emit: key === "both" ? undefined : emitScalar<TrackProcess>(key),
  };
}

export const trackProcessSpec: BlockSpec<TrackProcess> = {
  name: "vrrp_track_process",
  create: createTrackProcess,
  keywords: {
    process: {
      parse: (c, n, t) => {
        if (!c.count(n, 1, Number.POSITIVE_INFINITY)) return;
        if (t.process !== undefined) {
          c.warning(
            n.args[0] as Token,
            "duplicate-keyword",
            `vrrp_track_process ${t.name}: process already set; '${n.args[0]?.text}' ignored`,
          );
          return;
        }
        t.process = n.args[0]?.text;
        if (n.args.length > 1) t.params = n.args.slice(1).map((a) => a.text);
      },
      emit: (t, kw) =>
        t.process !== undefined ? [[kw, quote(t.process), ...(t.params ?? []).map(quote)].join(" ")] : [],
    },
    param_match: {
      parse: (c, n, t) => {
        if (!c.count(n, 0, 1)) return;
        if (n.args.length === 0) t.paramMatch = "exact";
        else {
          const v = c.oneOf(n, 0, ["initial", "partial"] as const);
          if (v) t.paramMatch = v;
        }
      },
      // parameters given with `process` imply exact matching: nothing to write then
      emit: (t, kw) =>
        t.paramMatch === undefined || (t.paramMatch === "exact" && t.params)
          ? []
          : [t.paramMatch === "exact" ? kw : `${kw} ${t.paramMatch}`],
    },
    weight: {
      parse: (c, n, t) => {
        const w = weightArgs(c, n, 0, -254, 254, `vrrp_track_process ${t.name} weight`, false);
        if (!w) return;
        t.weight = w.weight ?? 0;
        t.weightReverse = w.reverse ?? false;
      },
      emit: (t, kw) => emitWeight(kw, t.weight, t.weightReverse, 0),
    },
    quorum: intField<TrackProcess>("quorum", 1, 65535),
    quorum_max: intField<TrackProcess>("quorumMax", 0, 65535),
    delay: delayField("both"),
    terminate_delay: delayField("terminateDelay"),
    fork_delay: delayField("forkDelay"),
    full_command: {
      parse: (c, n, t) => {
        if (c.count(n, 0)) t.fullCommand = true;
      },
      // parameters or param_match imply it
      emit: (t, kw) => (t.fullCommand && !t.params && t.paramMatch === undefined ? [kw] : []),
    },
  },
};

/**
 * The quorum a process tracker applies: keepalived's quorum_max handler
 * (vrrp_parser.c vrrp_tprocess_quorum_max_handler) sets quorum to 0 with quorum_max 0,
 * so "the process must not run" holds with none running. Kept out of the model so the
 * config is written back as read.
 */
export function processQuorum(t: TrackProcess): number {
  return t.quorumMax === 0 ? 0 : t.quorum;
}

/** The bytes of a process's comm: TASK_COMM_LEN (16) less its NUL. */
const COMM_MAX = 15;

/** After a vrrp_track_process block: what keepalived derives or rejects at its end. */
export function finishTrackProcess(c: Ctx, n: Node, t: TrackProcess): void {
  if (t.params || t.paramMatch !== undefined) t.fullCommand = true;
  if (t.params && t.paramMatch === undefined) t.paramMatch = "exact";
  if (t.process === undefined)
    c.error(n.keyword, "missing-keyword", `vrrp_track_process ${t.name}: no 'process' given`);
  // track_process.c compares the whole name with the comm (strcmp), which the kernel keeps
  // to 15 bytes (TASK_COMM_LEN 16 with the NUL): a longer name never matches without
  // full_command. keepalived says nothing and the tracker never gains its quorum.
  else if (!t.fullCommand && new TextEncoder().encode(t.process).length > COMM_MAX) {
    const at = n.block?.find((s) => s.keyword.text === "process")?.args[0] ?? n.keyword;
    c.warning(
      at,
      "process-name-too-long",
      `vrrp_track_process ${t.name}: '${t.process}' is longer than a process's comm (${COMM_MAX} bytes) and never matches it; add full_command to match the command's first word`,
    );
  }
  if (t.quorumMax !== undefined && t.quorumMax !== 0 && t.quorum > t.quorumMax)
    c.error(
      n.keyword,
      "bad-value",
      `vrrp_track_process ${t.name}: quorum ${t.quorum} is greater than quorum_max ${t.quorumMax}`,
    );
  if (t.quorumMax === 0 && t.quorum > 1)
    c.error(n.keyword, "bad-value", `vrrp_track_process ${t.name}: quorum_max 0 needs quorum unset`);
}

export type { Emit };
