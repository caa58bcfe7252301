/**
 * Hosts as network namespaces on one bridge, running the compiled dist/keel.
 *
 *   netns <prefix>sw:  br0 (bridge: stp off, forward_delay 0, mcast_snooping 0)
 *                       |-- p1 <veth> eth0 in <prefix>h1   10.99.0.11/24  02:99:00:00:00:0b
 *                       |-- p2 <veth> eth0 in <prefix>h2   10.99.0.12/24  ...
 *
 * Every name starts with a prefix unique to this process, so parallel runs never meet;
 * the veths are created inside the switch namespace, so the machine's own namespace is
 * never touched. `destroy()` (call it in afterAll) kills what the lab started and deletes
 * its namespaces, also after a failed test. Needs root and iproute2.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { runtimeEnv } from "../../src/runtime/runtime-env";

const ROOT = join(import.meta.dir, "../..");
export const KEEL = join(ROOT, "dist/keel");

export function sh(cmd: string[], opts: { allowFail?: boolean } = {}): string {
  const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0 && !opts.allowFail)
    throw new Error(`${cmd.join(" ")} → exit ${r.exitCode}: ${r.stderr.toString().trim()}`);
  return r.stdout.toString();
}

/** Build dist/keel when it is missing or older than the sources (npm test builds first). */
export function ensureKeel(): string {
  const newest =
    Number(
      sh([
        "sh",
        "-c",
        `find ${ROOT}/src ${ROOT}/native-bindings -name '*.ts' -printf '%T@\\n' | sort -n | tail -1`,
      ]).trim(),
    ) * 1000;
  if (!existsSync(KEEL) || statSync(KEEL).mtimeMs < newest) sh([process.execPath, join(ROOT, "build.ts")]);
  return KEEL;
}

/** A line a process wrote, with the monotonic time (ms) it arrived. */
export interface Line {
  t: number;
  text: string;
}

/** The shortest give-up bound of Proc.waitFor (see there). */
export const GIVE_UP_MS = 20_000;

export class Proc {
  readonly lines: Line[] = [];
  readonly exited: Promise<number>;
  private waiters: { re: RegExp; from: number; resolve: (l: Line) => void }[] = [];

  constructor(
    readonly host: string,
    readonly proc: Subprocess<"ignore", "pipe", "pipe">,
    /** started with setsid: the pid is also the process group */
    readonly group = false,
  ) {
    this.exited = proc.exited;
    void this.read(proc.stdout);
    void this.read(proc.stderr);
  }

  get pid(): number {
    return this.proc.pid;
  }

  private async read(stream: ReadableStream<Uint8Array>): Promise<void> {
    const dec = new TextDecoder();
    let buf = "";
    for await (const chunk of stream) {
      const t = performance.now();
      buf += dec.decode(chunk, { stream: true });
      let nl = buf.indexOf("\n");
      while (nl >= 0) {
        const line: Line = { t, text: buf.slice(0, nl) };
        buf = buf.slice(nl + 1);
        this.lines.push(line);
        if (process.env.KEEL_TEST_VERBOSE) process.stderr.write(`[${this.host}] ${line.text}\n`);
        for (const w of [...this.waiters])
          if (w.re.test(line.text) && this.lines.length - 1 >= w.from) {
            this.waiters.splice(this.waiters.indexOf(w), 1);
            w.resolve(line);
          }
        nl = buf.indexOf("\n");
      }
    }
  }

  /**
   * The first line matching `re` (already written, from index `from`, or still to come).
   * `timeoutMs` is when to give up, never an assertion (a test that bounds a time measures
   * it and compares): it is stretched to at least GIVE_UP_MS, because on a loaded machine a
   * keel binary alone has been seen to need 3 s from exec to its first line.
   */
  waitFor(re: RegExp, timeoutMs = 10_000, from = 0): Promise<Line> {
    const have = this.lines.slice(from).find((l) => re.test(l.text));
    if (have) return Promise.resolve(have);
    timeoutMs = Math.max(timeoutMs, GIVE_UP_MS);
    return new Promise((resolve, reject) => {
      const w = {
        re,
        from,
        resolve: (l: Line) => {
          clearTimeout(timer);
          resolve(l);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`${this.host}: no line matching ${re} within ${timeoutMs} ms; got:\n${this.text()}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  text(): string {
    return this.lines.map((l) => l.text).join("\n");
  }

  kill(signal: NodeJS.Signals | number = "SIGTERM"): void {
    // Bun refuses real-time signals (keepalived's JSON and STATS_CLEAR): kill(1) sends them
    if (typeof signal === "number" && signal >= 32) sh(["kill", `-${signal}`, String(this.proc.pid)]);
    else this.proc.kill(signal);
  }

  /** Signal the whole process group (keepalived's parent and children: a crash). */
  killGroup(signal: NodeJS.Signals = "SIGKILL"): void {
    if (!this.group) throw new Error(`${this.host}: not started in its own group`);
    try {
      process.kill(-this.proc.pid, signal);
    } catch {
      // already gone
    }
  }
}

export interface LabOptions {
  /** keep IPv6 on (link-locals without DAD delay) */
  ipv6?: boolean;
  /** the namespaces' name prefix before the per-process part ("kn" unless given: a brief's own) */
  prefix?: string;
}

/** Where Lab.keel / Lab.keepalived start a daemon. */
export interface StartOptions {
  /**
   * In the test's own network namespace (the initial one), not the host's: a daemon whose
   * `net_namespace` names the host's namespace and moves there itself (keepalived and keel
   * open the process connector before that setns). The host still names its files.
   */
  initialNamespace?: boolean;
}

export class Lab {
  readonly prefix: string;
  readonly dir: string;
  readonly procs: Proc[] = [];
  /** the keel processes only, in start order */
  readonly keels: Proc[] = [];
  /** the keepalived processes, in start order */
  readonly kas: Proc[] = [];
  readonly hosts: string[] = [];
  private readonly nss: string[] = [];

  private constructor(prefix = "kn") {
    this.prefix = `${prefix}${process.pid.toString(36)}${Math.random().toString(36).slice(2, 5)}`;
    this.dir = mkdtempSync(join(tmpdir(), "keel-netns-"));
  }

  /** `hosts` names like "h1", "h2", "client"; host i gets 10.99.0.(10+i). */
  static create(hosts: string[], opts: LabOptions = {}): Lab {
    const lab = new Lab(opts.prefix);
    try {
      lab.build(hosts, opts);
    } catch (e) {
      lab.destroy();
      throw e;
    }
    return lab;
  }

  ns(host: string): string {
    return `${this.prefix}${host}`;
  }

  ip(host: string): string {
    return `10.99.0.${11 + this.hosts.indexOf(host)}`;
  }

  private build(hosts: string[], opts: LabOptions): void {
    const sw = this.ns("sw");
    sh(["ip", "netns", "add", sw]);
    this.nss.push(sw);
    sh(["ip", "-n", sw, "link", "set", "lo", "up"]);
    sh([
      "ip",
      "-n",
      sw,
      "link",
      "add",
      "br0",
      "type",
      "bridge",
      "stp_state",
      "0",
      "forward_delay",
      "0",
      "mcast_snooping",
      "0",
    ]);
    sh(["ip", "netns", "exec", sw, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"]);
    sh(["ip", "-n", sw, "link", "set", "br0", "up"]);
    hosts.forEach((h, i) => {
      const ns = this.ns(h);
      this.hosts.push(h);
      sh(["ip", "netns", "add", ns]);
      this.nss.push(ns);
      const oct = 11 + i;
      const sysctls = ["net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0"];
      if (opts.ipv6)
        // link-locals usable at once: no DAD wait (the VIPs use nodad anyway)
        sysctls.push(
          "net.ipv6.conf.all.accept_dad=0",
          "net.ipv6.conf.default.accept_dad=0",
          "net.ipv6.conf.default.dad_transmits=0",
        );
      else sysctls.push("net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1");
      sh(["ip", "netns", "exec", ns, "sysctl", "-qw", ...sysctls]);
      sh(["ip", "-n", ns, "link", "set", "lo", "up"]);
      sh(["ip", "-n", sw, "link", "add", `p${i + 1}`, "type", "veth", "peer", "name", "eth0", "netns", ns]);
      sh(["ip", "-n", ns, "link", "set", "eth0", "address", `02:99:00:00:00:${oct.toString(16).padStart(2, "0")}`]);
      sh(["ip", "-n", sw, "link", "set", `p${i + 1}`, "master", "br0", "up"]);
      sh(["ip", "-n", ns, "addr", "add", `10.99.0.${oct}/24`, "dev", "eth0"]);
      sh(["ip", "-n", ns, "link", "set", "eth0", "up"]);
    });
  }

  exec(host: string, cmd: string[], opts: { allowFail?: boolean } = {}): string {
    return sh(["ip", "netns", "exec", this.ns(host), ...cmd], opts);
  }

  /** Load an nftables script inside a host's namespace (a partition: only that host's traffic). */
  nft(host: string, script: string): void {
    this.exec(host, ["nft", "-f", this.file(`${host}-${Date.now()}.nft`, script)]);
  }

  /** Write a config file into the lab directory and return its path. */
  file(name: string, text: string): string {
    const p = join(this.dir, name);
    mkdirSync(join(p, ".."), { recursive: true });
    writeFileSync(p, text);
    return p;
  }

  /**
   * Start dist/keel in a host: `keel -n -l -D -G -f CONF ...extra` (console, no syslog, as the keepalived lab),
   * with the runtime environment systemd/keel.service gives it (src/runtime/runtime-env.ts): the
   * daemon as it is deployed, in tests and benches alike;
   * `binary` another build (bench/runtime/steady-ab.ts's A/B), `env` more of the daemon's environment
   * (a runtime setting named there wins).
   */
  keel(
    host: string,
    conf: string,
    extra: string[] = [],
    o: StartOptions & { syslog?: string; binary?: string; env?: Record<string, string> } = {},
  ): Proc {
    const path = this.file(`${host}.conf`, conf);
    // keepalived writes its signal dumps under TMPDIR: one per host
    const tmp = this.tmpdir(host);
    // own pid files: the defaults (/run/keepalived.pid) are one per machine
    const n = this.keels.length;
    const pids = [
      "-p",
      `${tmp}/keel-${n}.pid`,
      "-r",
      `${tmp}/keel-vrrp-${n}.pid`,
      "-c",
      `${tmp}/keel-checkers-${n}.pid`,
      "-b",
      `${tmp}/keel-bfd-${n}.pid`,
      "--control-socket",
      `${tmp}/keel-${n}.sock`,
    ];
    const bin = o.binary ?? KEEL;
    const proc = Bun.spawn(
      [...this.inHost(host, o), bin, "-n", "-l", "-D", ...(o.syslog ? [] : ["-G"]), "-f", path, ...pids, ...extra],
      {
        env: {
          ...process.env,
          ...runtimeEnv(),
          TMPDIR: tmp,
          ...(o.syslog ? { KEEL_SYSLOG_SOCKET: o.syslog } : {}),
          ...o.env,
        },
        stdin: "ignore",
        stdout: "pipe",
        stderr: "pipe",
      },
    );
    const p = new Proc(host, proc);
    this.procs.push(p);
    this.keels.push(p);
    return p;
  }

  /**
   * Start Debian's keepalived in a host, as ../shared/lab/ka.sh does: foreground (-n),
   * console log (-l -D), no syslog (-G), its own pid files and TMPDIR, in a new session
   * so `killGroup` reaches the parent and its VRRP child at once (a crash).
   */
  keepalived(
    host: string,
    conf: string,
    extra: string[] = [],
    o: StartOptions & { iproute2?: string; binary?: string } = {},
  ): Proc {
    const path = this.file(`${host}-ka.conf`, conf);
    const d = this.tmpdir(host);
    // fresh pid files per start: a crashed keepalived's VRRP child can linger as a zombie
    // until whoever inherits it reaps it, and keepalived then says "daemon is already running"
    const n = this.kas.length;
    const pid = (what: string) => `${d}/${what}-${n}.pid`;
    const proc = Bun.spawn(
      [
        "setsid",
        ...this.inHost(host, o),
        ...(o.iproute2 ? withIproute2(o.iproute2) : []),
        // another build (auth-hmac.test.ts: KEEPALIVED_24, a keepalived 2.4.3)
        o.binary ?? "keepalived",
        "-n",
        "-l",
        "-D",
        "-G",
        "-f",
        path,
        "-p",
        pid("ka"),
        "-r",
        pid("vrrp"),
        "-c",
        pid("chk"),
        // the keepalived 2.4.3 built for auth-hmac.test.ts has no BFD: it refuses -b
        ...(o.binary ? [] : ["-b", pid("bfd")]),
        ...extra,
      ],
      { env: { ...process.env, TMPDIR: d }, stdin: "ignore", stdout: "pipe", stderr: "pipe" },
    );
    const p = new Proc(host, proc, true);
    this.procs.push(p);
    this.kas.push(p);
    return p;
  }

  /** The command prefix that runs a daemon in a host's namespace (none: in the initial one). */
  private inHost(host: string, o: StartOptions): string[] {
    return o.initialNamespace ? [] : ["ip", "netns", "exec", this.ns(host)];
  }

  /** The last keepalived started in a host. */
  kaOf(host: string): Proc {
    const p = this.kas.filter((k) => k.host === host).at(-1);
    if (!p) throw new Error(`no keepalived started in ${host}`);
    return p;
  }

  /** The TMPDIR a host's keel writes its dumps to. */
  tmpdir(host: string): string {
    const d = join(this.dir, `${host}-tmp`);
    mkdirSync(d, { recursive: true });
    return d;
  }

  /** The last keel started in a host. */
  keelOf(host: string): Proc {
    const p = this.keels.filter((k) => k.host === host).at(-1);
    if (!p) throw new Error(`no keel started in ${host}`);
    return p;
  }

  /** Any process in a host (a capture, a monitor). */
  spawn(host: string, cmd: string[]): Proc {
    const proc = Bun.spawn(["ip", "netns", "exec", this.ns(host), ...cmd], {
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    const p = new Proc(host, proc);
    this.procs.push(p);
    return p;
  }

  /** Addresses on a host's interface, as "ADDR/PREFIX". */
  addrs(host: string, dev = "eth0"): string[] {
    const j = JSON.parse(this.exec(host, ["ip", "-j", "addr", "show", "dev", dev])) as {
      addr_info: { local: string; prefixlen: number }[];
    }[];
    return j.flatMap((l) => l.addr_info.map((a) => `${a.local}/${a.prefixlen}`));
  }

  hasAddr(host: string, addr: string, dev = "eth0"): boolean {
    return this.addrs(host, dev).some((a) => a.startsWith(`${addr}/`));
  }

  /**
   * Resolves once `ip monitor address` in `host` reports events: a marker address on lo is
   * added until the monitor prints it (then removed). A fixed pause guessed when `ip` had
   * opened its socket, and at load average 23 an event came before it did (failover.test.ts,
   * the graceful handover's VIP on the backup was never seen).
   */
  private async monitorListening(host: string, mon: Proc): Promise<void> {
    const marker = "127.0.0.254/32";
    const seen = () => mon.lines.some((l) => l.text.includes(`inet ${marker}`));
    const end = performance.now() + 20_000;
    while (!seen()) {
      if (performance.now() > end) throw new Error(`${host}: ip monitor reported no address event within 20 s`);
      this.exec(host, ["ip", "addr", "replace", marker, "dev", "lo"]);
      await Bun.sleep(50); // how often to look, not a guess at readiness: the loop waits for the line
      if (!seen()) this.exec(host, ["ip", "addr", "del", marker, "dev", "lo"], { allowFail: true });
    }
    this.exec(host, ["ip", "addr", "del", marker, "dev", "lo"], { allowFail: true });
  }

  /**
   * Watch a host's addresses (`ip monitor address`) and resolve with the time the
   * address appears (or is deleted, with `deleted`). Start it before the event.
   */
  async watchAddr(
    host: string,
    addr: string,
    opts: { deleted?: boolean; timeoutMs?: number } = {},
  ): Promise<{ wait: () => Promise<number>; stop: () => void }> {
    const mon = this.spawn(host, ["ip", "-o", "monitor", "address"]);
    await this.monitorListening(host, mon);
    const esc = addr.replace(/[.:]/g, (c) => `\\${c}`);
    const re = opts.deleted ? new RegExp(`^Deleted .*inet6? ${esc}/`) : new RegExp(`^(?!Deleted).*inet6? ${esc}/`);
    return {
      wait: async () => (await mon.waitFor(re, opts.timeoutMs ?? 15_000)).t,
      stop: () => mon.kill("SIGKILL"),
    };
  }

  /**
   * Capture on a host's eth0 with dumpcap into a pcap file; stop() returns the path.
   * `path` can be read while it is written (tshark may fail on a half-written last frame).
   */
  async capture(host: string, filter?: string): Promise<{ path: string; stop: () => Promise<string> }> {
    const path = join(this.dir, `${host}-${Date.now()}.pcap`);
    const args = ["dumpcap", "-q", "-i", "eth0", "-w", path];
    if (filter) args.push("-f", filter);
    const p = this.spawn(host, args);
    // dumpcap prints "File: ..." once it captures
    await p.waitFor(/File:|Capturing/, 10_000).catch(() => undefined);
    await Bun.sleep(100);
    return {
      path,
      stop: async () => {
        await Bun.sleep(100);
        p.kill("SIGTERM");
        await p.exited;
        return path;
      },
    };
  }

  /** tshark's decoded fields of a capture: one row per packet. */
  tshark(pcap: string, filter: string, fields: string[]): string[][] {
    const out = sh([
      "tshark",
      "-r",
      pcap,
      "-Y",
      filter,
      "-T",
      "fields",
      ...fields.flatMap((f) => ["-e", f]),
      "-E",
      "separator=|",
    ]);
    return out
      .split("\n")
      .filter((l) => l.length > 0)
      .map((l) => l.split("|"));
  }

  /**
   * Cut a host off the bridge (or join it back) without touching its link: its eth0
   * keeps carrier, it just hears nobody (a partition, not a link failure).
   */
  isolate(host: string, cut: boolean): void {
    const port = `p${this.hosts.indexOf(host) + 1}`;
    sh(["ip", "-n", this.ns("sw"), "link", "set", port, ...(cut ? ["nomaster"] : ["master", "br0"])]);
  }

  linkSet(host: string, up: boolean, dev = "eth0"): void {
    this.exec(host, ["ip", "link", "set", dev, up ? "up" : "down"]);
  }

  /** Kill everything the lab started, delete its namespaces and files. */
  destroy(): void {
    for (const p of this.procs) {
      try {
        if (p.group) p.killGroup("SIGKILL");
        else p.kill("SIGKILL");
      } catch {
        // already gone
      }
    }
    for (const ns of this.nss) {
      const pids = sh(["ip", "netns", "pids", ns], { allowFail: true }).split("\n").filter(Boolean);
      for (const pid of pids) sh(["kill", "-9", pid], { allowFail: true });
    }
    for (const ns of this.nss.reverse()) sh(["ip", "netns", "del", ns], { allowFail: true });
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A vrrp_instance block for tests. */
/**
 * A command prefix that runs the command with `dir` bind-mounted over /etc/iproute2 in a
 * mount namespace of its own (`unshare -m`, private propagation): keepalived 2.2.7 reads
 * only /etc/iproute2 (no iproute_etc_dir), and the host's copy is never written.
 */
export function withIproute2(dir: string): string[] {
  return ["unshare", "-m", "--propagation", "private", "sh", "-c", 'mount --bind "$0" /etc/iproute2 && exec "$@"', dir];
}

export function instance(o: {
  name?: string;
  vrid?: number;
  state?: "MASTER" | "BACKUP";
  priority: number;
  advertInt?: number;
  vips?: string[];
  version?: 2 | 3;
  authPass?: string;
  authType?: "PASS" | "AH";
  nopreempt?: boolean;
  unicastSrc?: string;
  unicastPeers?: string[];
  useVmac?: boolean;
  extra?: string[];
}): string {
  const lines = [
    `vrrp_instance ${o.name ?? "VI_1"} {`,
    `  state ${o.state ?? "BACKUP"}`,
    "  interface eth0",
    `  virtual_router_id ${o.vrid ?? 51}`,
    `  priority ${o.priority}`,
    `  advert_int ${o.advertInt ?? 1}`,
  ];
  if (o.version) lines.push(`  version ${o.version}`);
  if (o.nopreempt) lines.push("  nopreempt");
  if (o.useVmac) lines.push("  use_vmac");
  if (o.authPass)
    lines.push("  authentication {", `    auth_type ${o.authType ?? "PASS"}`, `    auth_pass ${o.authPass}`, "  }");
  if (o.unicastSrc) lines.push(`  unicast_src_ip ${o.unicastSrc}`);
  if (o.unicastPeers) lines.push("  unicast_peer {", ...o.unicastPeers.map((p) => `    ${p}`), "  }");
  lines.push("  virtual_ipaddress {", ...(o.vips ?? ["10.99.0.100/32"]).map((v) => `    ${v}`), "  }");
  lines.push(...(o.extra ?? []).map((l) => `  ${l}`), "}");
  return `${lines.join("\n")}\n`;
}

/**
 * Retries `check` (an assertion that throws, or a predicate) until it passes, then returns
 * its value; after `timeoutMs` the last failure is thrown. For what a test waits for
 * without a log line to wait on (a datagram, a file a script writes, a counter): a fixed
 * sleep before the assertion would pass or fail with the machine's speed.
 */
export async function eventually<T>(
  check: () => T | Promise<T>,
  timeoutMs = 5_000,
  everyMs = 50,
): Promise<Exclude<T, false>> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    try {
      const v = await check();
      if (v !== false) return v as Exclude<T, false>;
      if (performance.now() >= end) throw new Error(`still false after ${timeoutMs} ms: ${check.toString()}`);
    } catch (e) {
      if (performance.now() >= end) throw e;
    }
    await Bun.sleep(everyMs);
  }
}

/**
 * Starts the router meant to be master, waits until it is, then starts the one meant to be
 * backup and waits for its BACKUP state. Started the other way round the result would hang
 * on which binary starts faster: both begin in BACKUP, and their Master_Down_Intervals
 * (3 × advert_int + Skew_Time) differ by only (150 − 100)/256 s ≈ 195 ms, so a master that
 * needs longer than that to start loses the first election (and, with nopreempt, keeps
 * losing it). In this order the backup hears adverts from its first moment.
 */
export async function masterFirst<M extends { proc: Proc } | Proc, B extends { proc: Proc } | Proc>(
  startMaster: () => M,
  startBackup: () => B,
  timeoutMs = 10_000,
): Promise<{ master: M; backup: B }> {
  const procOf = (r: M | B): Proc => (r instanceof Proc ? r : r.proc);
  const master = startMaster();
  await procOf(master).waitFor(/\(VI_1\) Entering MASTER STATE/, timeoutMs);
  const backup = startBackup();
  await procOf(backup).waitFor(/\(VI_1\) Entering BACKUP STATE/, timeoutMs);
  return { master, backup };
}

/**
 * What a takeover may take beyond the protocol's own bound (Master_Down_Interval after a
 * crash, Skew_Time after a priority-0 advert). After the timer is due come a timer wakeup,
 * one netlink request and `ip monitor`'s line through a pipe to the test: a handful of
 * scheduler wakeups, each of which can wait tens of ms on a 2-core machine under a CPU hog
 * (one such run measured 81 ms past Skew_Time). 250 ms still tells a right answer from the
 * nearest wrong one: a timer armed one advert interval late is 1,000 ms late.
 */
export const TAKEOVER_MARGIN_MS = 250;

/**
 * The same for a SIGTERM handover (Skew_Time after the priority-0 advert), measured from
 * the signal: it also holds the old master's own reaction (a signal wakeup, its VIPs
 * removed, then the advert), which under a CPU hog was seen to add 306 ms for keepalived.
 * The nearest wrong answer, a backup that ignores priority 0, waits Master_Down_Interval
 * (3.6 s here), so 600 ms keeps the test telling them apart.
 */
export const HANDOVER_MARGIN_MS = 600;

/**
 * For async beforeAll/afterAll hooks: bun gives a hook 5 s by default, and one that starts
 * daemons and waits for an election (3.4 s of protocol time alone) needs more on a slow
 * machine. Time bounds belong to what a test asserts, not to its set-up.
 */
export const HOOK_TIMEOUT_MS = 60_000;

/** keepalived's Master_Down_Interval in ms: 3 × advert_int + skew (v2: (256 − prio)/256 s). */
export function masterDownMs(advertIntS: number, priority: number, version: 2 | 3 = 2): number {
  const cs = advertIntS * 100;
  const skew = version === 2 ? ((256 - priority) * 1000) / 256 : ((256 - priority) * cs * 10) / 256;
  return 3 * advertIntS * 1000 + skew;
}
