/**
 * The differential harness: `keel -t -f CONF` against Debian's `keepalived -t -f CONF` on
 * the same file, in one network namespace that holds a link for every interface
 * the corpus names (keepalived -t warns about, and exits 5 for, an interface it cannot
 * find: vrrp_parser.c "interface %s for vrrp_instance %s doesn't exist").
 *
 * Nothing is normalised: both programs see the same filesystem, so a script that does
 * not exist or is not executable, or a script_user that is unknown, is reported by
 * keepalived -t and must be reported by keel -t too (issue 15: "-t checks the
 * environment as keepalived does").
 *
 * Verdicts, per config (keel may say more than keepalived; never less):
 *   keel-refuses-only         keepalived exits 0, keel exits non-zero: a failure
 *   keepalived-diagnoses-keel-silent  keepalived prints a line about the configuration,
 *                             keel prints no diagnostic: a failure
 *   keepalived-refuses-only   keepalived exits non-zero, keel 0 (allowed: keel's warning)
 *   both-accept / both-refuse
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

export const ROOT = join(import.meta.dir, "../..");
export const CORPUS = join(ROOT, "test/fixtures/compat/corpus");
export const KEEL = join(ROOT, "dist/keel");
export const KEEPALIVED = "/usr/sbin/keepalived";

/** Every config of the corpus (files ending .conf, any depth), sorted. */
export function corpusFiles(dir = CORPUS): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (e.endsWith(".conf")) out.push(p);
    }
  };
  walk(dir);
  return out;
}

// a link name as the kernel takes it (IFNAMSIZ 16 with the NUL; no '/', ':' or blank)
const LINK = /^[A-Za-z0-9_.-]{1,15}$/;

/**
 * The interface names a config mentions: the word after `interface`, `dev`, `bind_if`,
 * `default_interface`, `lvs_sync_daemon[_interface]`, `oif`/`iif`, and each first word in a
 * `track_interface` or `interfaces` block. A generous guess: an extra link changes
 * nothing for either program.
 */
export function interfaceNames(text: string): Set<string> {
  const names = new Set<string>();
  const after =
    /\b(?:interface|dev|bind_if|default_interface|lvs_sync_daemon|lvs_sync_daemon_interface|oif|iif|mcast_src_interface)\s+([^\s{}#!;]+)/g;
  for (const m of text.matchAll(after)) if (m[1] && LINK.test(m[1])) names.add(m[1]);
  const blocks = /\b(?:track_interface|interfaces)\s*\{([^}]*)\}/g;
  for (const m of text.matchAll(blocks)) {
    for (const line of (m[1] ?? "").split("\n")) {
      const w = line.trim().split(/\s+/)[0];
      if (w && LINK.test(w)) names.add(w);
    }
  }
  // a use_vmac/use_ipvlan name is the link keepalived makes itself: an existing link of
  // that name that is no macvlan draws "already exists and is not a private macvlan"
  for (const m of text.matchAll(/\b(?:use_vmac|use_ipvlan)\s+([^\s{}#!;]+)/g)) if (m[1]) names.delete(m[1]);
  names.delete("lo");
  return names;
}

function sh(cmd: string[], allowFail = false): string {
  const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0 && !allowFail)
    throw new Error(`${cmd.join(" ")} → exit ${r.exitCode}: ${r.stderr.toString().trim()}`);
  return r.stdout.toString();
}

/** One namespace for the whole corpus, with a link (up) per name. Removed by `close`. */
export class CompatNamespace {
  readonly name = `keelcompat${process.pid}`;
  readonly links: string[] = [];
  constructor(ifnames: Iterable<string>) {
    sh(["ip", "netns", "add", this.name]);
    process.on("SIGINT", this.onSignal);
    process.on("SIGTERM", this.onSignal);
    try {
      sh(["ip", "-n", this.name, "link", "set", "lo", "up"]);
      // this kernel may lack the dummy driver: a veth pair per name, the peer named
      // "kcpN" (no corpus names one); one `ip -force -batch` (a refused name is skipped)
      const names = [...new Set(ifnames)].sort();
      const cmds = names.map((n, i) => `link add ${n} type veth peer name kcp${i}`);
      Bun.spawnSync(["ip", "-n", this.name, "-force", "-batch", "-"], {
        stdin: new TextEncoder().encode(`${cmds.join("\n")}\n`),
        stderr: "pipe",
      });
      const have = sh(["ip", "-n", this.name, "-o", "link"])
        .split("\n")
        .map((l) => l.split(": ")[1]?.split("@")[0] ?? "")
        .filter((n) => n !== "" && n !== "lo");
      const up = have.map((n) => `link set ${n} up`);
      Bun.spawnSync(["ip", "-n", this.name, "-force", "-batch", "-"], {
        stdin: new TextEncoder().encode(`${up.join("\n")}\n`),
        stderr: "pipe",
      });
      this.links.push(...have.filter((n) => names.includes(n)));
    } catch (e) {
      this.close();
      throw e;
    }
  }
  close(): void {
    process.off("SIGINT", this.onSignal);
    process.off("SIGTERM", this.onSignal);
    sh(["ip", "netns", "del", this.name], true);
  }
  /** a run stopped by a signal still removes its namespace */
  private onSignal = (sig: NodeJS.Signals) => {
    this.close();
    process.exit(sig === "SIGINT" ? 130 : 143);
  };
}

export interface RunResult {
  code: number;
  lines: string[];
}

/** How long one `-t` run may take before it counts as hung (both finish in well under a second). */
const RUN_BOUND_MS = 20_000;

async function runIn(ns: string, cmd: string[]): Promise<RunResult> {
  // a fixed cwd: keepalived resolves a relative include from it
  const p = Bun.spawn(["ip", "netns", "exec", ns, ...cmd], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    cwd: CORPUS,
    env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LANG: "C" },
  });
  // keepalived 2.2.7 never ends on a self-referencing definition (`$IF=$IF`): a run that
  // outlives the bound is killed and counts as a refusal (code -1), never as acceptance
  let hung = false;
  const timer = setTimeout(() => {
    hung = true;
    p.kill("SIGKILL");
  }, RUN_BOUND_MS);
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  clearTimeout(timer);
  const lines = `${out}\n${err}`.split("\n").filter((l) => l.trim() !== "");
  if (hung) return { code: -1, lines: [...lines, `(killed: still running after ${RUN_BOUND_MS / 1000} s)`] };
  return { code, lines };
}

export type Verdict =
  | "not-compared"
  | "both-accept"
  | "both-refuse"
  | "keel-refuses-only"
  | "keepalived-refuses-only"
  | "keepalived-diagnoses-keel-silent";

export interface Outcome {
  file: string;
  keepalived: RunResult;
  keel: RunResult;
  /** keel's diagnostics (file:line:col: severity[code]: ...) */
  keelDiags: string[];
  verdict: Verdict;
  /** a failure of the contract: keel refuses what keepalived takes, or is silent where it speaks */
  failure: boolean;
}

/**
 * Keywords keepalived 2.2.7 does not install and later keepalived does (every
 * install_keyword string at the v2.2.7 tag against master, keepalived's git history).
 * keel's keyword tables follow keepalived 2.4: such a keyword is valid configuration,
 * and 2.2.7's "Unknown keyword" about it speaks of its age, not of the configuration.
 * keel applies several as 2.4.3 does (v3_checksum_as_v2, timer_expired_backup and its
 * alias thread_timer_expired, use_symlink_paths) and `keel -t` accepts them without a
 * word, where 2.2.7 names them unknown and runs as if they were absent.
 */
export const NEWER_THAN_227 = new Set(
  (
    "active_key anti_replay auth_hmac dbus_no_interface_name iproute_etc_dir iproute_usr_dir json_dump_file " +
    "json_version mode multihop no_virtual_ipaddress owner_ignore_adverts set_supplementary_groups sni_name " +
    "snmp_rs_stats_update_interval snmp_vs_stats_update_interval state_dump_file stats_dump_file " +
    "thread_timer_expired time_window timer_expired_backup tls_compliant use_symlink_paths v3_checksum_as_v2 " +
    "vrrp_delay_after_boot vrrp_owner_ignore_adverts"
  ).split(" "),
);

/**
 * keepalived lines that describe Debian's build of it, not the configuration: it is
 * built without iptables and libipset (`keepalived -v`: "Config options: NFTABLES ..."),
 * so vrrp_iptables draws a line and vrrp_ipsets is an unknown keyword there.
 */
const BUILD_LINES = [/iptables not supported, using nftables instead/, /Unknown keyword 'vrrp_ipsets'/];

/** The lines of keepalived's output that are about the configuration (see NEWER_THAN_227, BUILD_LINES). */
export function keepalivedDiagnostics(lines: string[]): string[] {
  return lines.filter((l) => {
    if (BUILD_LINES.some((re) => re.test(l))) return false;
    const unknown = l.match(/Unknown keyword '([^']*)'/);
    return !(unknown?.[1] && NEWER_THAN_227.has(unknown[1]));
  });
}

/**
 * keepalived -t with an unconditional `net_namespace NAME` first enters that namespace;
 * when it does not exist it exits 0 without a word, having checked nothing (measured
 * with 2.2.7). Such a config is not compared: keepalived gave no verdict.
 */
export function keepalivedCannotCheck(text: string): string | undefined {
  const m = text.match(/^[ \t]*net_namespace[ \t]+(\S+)/m);
  return m ? `net_namespace ${m[1]}: keepalived -t enters the namespace and checks nothing` : undefined;
}

const KEEL_DIAG = /^\S+:\d+:\d+: (error|warning)\[[\w-]+\]/;
/** keel's summary line "keel: FILE: N errors, M warnings" and notes are not diagnostics of their own */
export function keelDiagnostics(lines: string[]): string[] {
  return lines.filter((l) => KEEL_DIAG.test(l));
}

export function classify(file: string, keepalived: RunResult, keel: RunResult, text = ""): Outcome {
  const keelDiags = keelDiagnostics(keel.lines);
  let verdict: Verdict;
  if (keepalivedCannotCheck(text)) verdict = "not-compared";
  else if (keepalived.code === 0 && keel.code !== 0) verdict = "keel-refuses-only";
  else if (keepalivedDiagnostics(keepalived.lines).length > 0 && keelDiags.length === 0)
    verdict = "keepalived-diagnoses-keel-silent";
  else if (keepalived.code !== 0 && keel.code === 0) verdict = "keepalived-refuses-only";
  else verdict = keepalived.code === 0 ? "both-accept" : "both-refuse";
  const failure = verdict === "keel-refuses-only" || verdict === "keepalived-diagnoses-keel-silent";
  return { file, keepalived, keel, keelDiags, verdict, failure };
}

/** Runs both programs on every file, `parallel` files at a time, in one namespace. */
export async function runCorpus(files: string[], parallel = 4): Promise<Outcome[]> {
  const names = new Set<string>();
  for (const f of files) for (const n of interfaceNames(readFileSync(f, "utf8"))) names.add(n);
  const ns = new CompatNamespace(names);
  const out: Outcome[] = new Array(files.length);
  try {
    let next = 0;
    const worker = async () => {
      while (next < files.length) {
        const i = next++;
        const f = files[i] as string;
        const [ka, kl] = await Promise.all([
          runIn(ns.name, [KEEPALIVED, "-t", "-f", f]),
          runIn(ns.name, [KEEL, "-t", "-f", f]),
        ]);
        out[i] = classify(relative(CORPUS, f), ka, kl, readFileSync(f, "utf8"));
      }
    };
    await Promise.all(Array.from({ length: parallel }, worker));
  } finally {
    ns.close();
  }
  return out;
}

export function counts(outcomes: Outcome[]): Record<string, number> {
  const c: Record<string, number> = {
    configs: outcomes.length,
    "not-compared": 0,
    "both-accept": 0,
    "both-refuse": 0,
    "keel-refuses-only": 0,
    "keepalived-refuses-only": 0,
    "keepalived-diagnoses-keel-silent": 0,
  };
  for (const o of outcomes) c[o.verdict] = (c[o.verdict] ?? 0) + 1;
  return c;
}

/** The report: counts, then every failure with both programs' words. */
export function report(outcomes: Outcome[], verbose = false): string {
  const lines = ["keel -t vs keepalived -t (Debian 2.2.7), one namespace with the interfaces the configs name", ""];
  for (const [k, v] of Object.entries(counts(outcomes))) lines.push(`  ${k.padEnd(34)} ${v}`);
  for (const o of outcomes) {
    if (!o.failure && !(verbose && o.verdict === "keepalived-refuses-only")) continue;
    lines.push("", `${o.verdict}: ${o.file} (keepalived exit ${o.keepalived.code}, keel exit ${o.keel.code})`);
    for (const l of o.keepalived.lines.slice(0, 8)) lines.push(`  keepalived| ${l}`);
    for (const l of o.keel.lines.slice(0, 8)) lines.push(`  keel      | ${l}`);
  }
  return lines.join("\n");
}
