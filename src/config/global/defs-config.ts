/**
 * global_defs keywords about reading and reloading the configuration and the files
 * keepalived writes (keepalived core/global_parser.c, lib/parser.c include_check_set).
 */
import { type Keyword, boolField, emitScalar, intField, quote } from "../schema";
import type { Token } from "../tree";
import { UINT_MAX, flag, pathField, wordArg } from "./helpers";
import { type GlobalDefs, INCLUDE_CHECKS, type IncludeCheck } from "./model";

type K = Keyword<GlobalDefs>;

/** `tmp_config_directory DIR`: keepalived takes the first and reports later ones. */
const tmpConfigDirectory: K = {
  parse: (c, n, t) => {
    if (t.tmpConfigDirectory !== undefined) {
      c.error(n.keyword, "duplicate", `'${n.keyword.text}' already specified - ignoring this one`);
      return;
    }
    const v = wordArg(c, n);
    if (v !== undefined) t.tmpConfigDirectory = v;
  },
  emit: emitScalar<GlobalDefs>("tmpConfigDirectory"),
};

/** `config_save_dir DIR`: keepalived drops one trailing '/' (set_dir). */
const configSaveDir: K = {
  parse: (c, n, t) => {
    const v = wordArg(c, n);
    if (v !== undefined) t.configSaveDir = v.length > 1 && v.endsWith("/") ? v.slice(0, -1) : v;
  },
  emit: emitScalar<GlobalDefs>("configSaveDir"),
};

/**
 * `include_check [[+|-]read|match|wildcard_match|brace_match]...`: a first word without a
 * sign sets the checks (always including `read`), signed words add or remove. No words
 * means all four. The man page spells the first one `readable`; keepalived's parser only
 * knows `read`, both are taken here.
 */
const includeCheck: K = {
  parse: (c, n, t) => {
    if (n.args.length === 0) {
      t.includeCheck = [...INCLUDE_CHECKS];
      return;
    }
    const set = new Set<IncludeCheck>(t.includeCheck);
    n.args.forEach((tok: Token, i) => {
      const sign = tok.text[0] === "+" || tok.text[0] === "-" ? tok.text[0] : "";
      const word = sign ? tok.text.slice(1) : tok.text;
      if (!sign && i > 0) {
        c.error(
          tok,
          "bad-value",
          `include_check: '${tok.text}' must be '+${word}' or '-${word}' after the first option`,
        );
        return;
      }
      const check = word === "readable" ? "read" : INCLUDE_CHECKS.find((w) => w === word);
      if (!check) {
        c.oneOfToken({ ...tok, text: word }, INCLUDE_CHECKS, "include_check");
        return;
      }
      if (!sign) {
        set.clear();
        set.add("read");
        set.add(check);
      } else if (sign === "+") set.add(check);
      else set.delete(check);
    });
    t.includeCheck = INCLUDE_CHECKS.filter((w) => set.has(w));
  },
  // Written as additions to keepalived's empty default, which reproduces any set exactly.
  emit: (t) => (t.includeCheck?.length ? [`include_check ${t.includeCheck.map((w) => `+${w}`).join(" ")}`] : []),
};

/** `reload_check_config [LOG_FILE]`: no file means /dev/null. */
const reloadCheckConfig: K = {
  parse: (c, n, t) => {
    t.reloadCheckConfig = n.args.length === 0 ? "/dev/null" : wordArg(c, n);
  },
  emit: (t) => (t.reloadCheckConfig === undefined ? [] : [`reload_check_config ${quote(t.reloadCheckConfig)}`]),
};

/** `reload_file [PATH]`: no path means keepalived.reload in the pid directory. */
const reloadFile: K = {
  parse: (c, n, t) => {
    if (!c.count(n, 0, 1)) return;
    t.reloadFile = n.args[0] ? { path: n.args[0].text } : {};
  },
  emit: (t) =>
    t.reloadFile === undefined
      ? []
      : [t.reloadFile.path === undefined ? "reload_file" : `reload_file ${quote(t.reloadFile.path)}`],
};

const UMASK_BITS: Record<string, number> = {
  IRUSR: 0o400,
  IWUSR: 0o200,
  IXUSR: 0o100,
  IRWXU: 0o700,
  IRGRP: 0o040,
  IWGRP: 0o020,
  IXGRP: 0o010,
  IRWXG: 0o070,
  IROTH: 0o004,
  IWOTH: 0o002,
  IXOTH: 0o001,
  IRWXO: 0o007,
};

/**
 * `umask NUMBER` (strtol base 0: 0x.. hex, 0.. octal, else decimal) or
 * `umask BIT|BIT...` with BIT = I{R,W,X}{USR,GRP,OTH} or IRWX{U,G,O}; blanks around the
 * '|' are allowed since keepalived reads the words as one run.
 */
const umask: K = {
  parse: (c, n, t) => {
    const first = n.args[0];
    if (!first) {
      c.error(n.keyword, "missing-argument", "'umask' needs a number or I{R,W,X}{USR,GRP,OTH} bits");
      return;
    }
    if (/^\d/.test(first.text)) {
      if (!c.count(n, 1)) return;
      const s = first.text;
      const v = /^0x[0-9a-f]+$/i.test(s)
        ? Number.parseInt(s.slice(2), 16)
        : /^0[0-7]*$/.test(s)
          ? Number.parseInt(s, 8)
          : /^[1-9]\d*$/.test(s)
            ? Number(s)
            : Number.NaN;
      if (Number.isNaN(v) || (v & ~0o777) !== 0) {
        c.error(first, "bad-value", `invalid umask value '${s}' (a mode within 0777, written 0NNN, 0xNN or decimal)`);
        return;
      }
      t.umask = v;
      return;
    }
    const text = n.args.map((a) => a.text).join("");
    let bits = 0;
    let needOr = false;
    for (let i = 0; i < text.length; ) {
      if (needOr) {
        if (text[i] !== "|") {
          c.error(
            first,
            "bad-value",
            `invalid umask syntax '${n.args.map((a) => a.text).join(" ")}': bits are separated by '|'`,
          );
          return;
        }
        needOr = false;
        i++;
        continue;
      }
      const bit = UMASK_BITS[text.slice(i, i + 5)];
      if (bit === undefined) {
        c.error(
          first,
          "bad-value",
          `unknown umask bit '${text.slice(i)}' (expected I{R,W,X}{USR,GRP,OTH} or IRWX{U,G,O})`,
        );
        return;
      }
      bits |= bit;
      i += 5;
      needOr = true;
    }
    if (!needOr) {
      c.error(first, "bad-value", "umask is missing a bit value after '|'");
      return;
    }
    t.umask = bits;
  },
  emit: (t, kw, d) => (t.umask === undefined || (d && t.umask === d.umask) ? [] : [`${kw} 0${t.umask.toString(8)}`]),
};

export const configKeywords: Record<string, K> = {
  tmp_config_directory: tmpConfigDirectory,
  config_save_dir: configSaveDir,
  include_check: includeCheck,
  reload_check_config: reloadCheckConfig,
  reload_time_file: pathField("reloadTimeFile"),
  reload_repeat: flag("reloadRepeat"),
  reload_file: reloadFile,
  random_seed: intField("randomSeed", 0, UINT_MAX),
  umask,
  data_use_instance: boolField("dataUseInstance"),
  json_version: {
    parse: (c, n, t) => {
      if (!c.count(n, 1)) return;
      const v = c.int(n, 0, 1, 2);
      if (v !== undefined) t.jsonVersion = v as 1 | 2;
    },
    emit: emitScalar("jsonVersion"),
  },
  state_dump_file: pathField("stateDumpFile"),
  stats_dump_file: pathField("statsDumpFile"),
  json_dump_file: pathField("jsonDumpFile"),
  iproute_usr_dir: pathField("iprouteUsrDir"),
  iproute_etc_dir: pathField("iprouteEtcDir"),
};

/** The man page documents these names; keepalived's parser installs the *_dump_file ones. */
export const configAliases: Record<string, string> = {
  state_file_location: "state_dump_file",
  stats_file_location: "stats_dump_file",
  json_file_location: "json_dump_file",
};
