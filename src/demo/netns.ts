/**
 * The namespace demo (root): real keel daemons on a real (virtual) network.
 *
 *   netns <p>sw:  br0 ─┬─ p1 <veth> eth0 in <p>r1      10.213.X.11/24
 *                      ├─ p2 <veth> eth0 in <p>r2      10.213.X.12/24
 *                      ├─ p3 <veth> eth0 in <p>r3      10.213.X.13/24
 *                      ├─ p4 <veth> eth0 in <p>web1    10.213.X.21/24  (keel demo --serve-web 80)
 *                      ├─ p5 <veth> eth0 in <p>web2    10.213.X.22/24  (keel demo --serve-web 80)
 *                      └─ p6 <veth> eth0 in <p>client  10.213.X.31/24
 *   VIP 10.213.X.100, VRRPv3 VRID 51, priorities r1 150, r2 100, r3 50
 *
 * The prefix <p> is "kd-<pid base 36>-<random>-", unique per run; a later run deletes
 * the namespaces of a run whose process is gone (killed with SIGKILL, where no cleanup
 * can run). The machine's own namespace is never touched: the veths are made inside the
 * switch namespace. Files (configs, sockets, pid files, logs, flag files) live in one
 * temporary directory.
 */
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { onProcessEnd } from "./cleanup";
import { ROUTERS, WEBS, WEB_PORT, hostIp, pickNet, routerConf, vipOf } from "./config";
import type { DemoController, DemoOptions, DemoRouter } from "./types";
import { webServerArgs } from "./web";

const HOSTS = [...ROUTERS.map((r) => r.name), ...WEBS, "client"];
const PREFIX_RE = /^kd-([0-9a-z]+)-[0-9a-z]+-/;

function sh(cmd: string[], allowFail = false): string {
  const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  if (r.exitCode !== 0 && !allowFail)
    throw new Error(`${cmd.join(" ")} → exit ${r.exitCode}: ${r.stderr.toString().trim()}`);
  return r.stdout.toString();
}

/** Every pid in a namespace (`ip netns pids`). */
function nsPids(ns: string): number[] {
  return sh(["ip", "netns", "pids", ns], true)
    .split("\n")
    .map((l) => Number(l.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);
}

function killNs(ns: string): void {
  for (const pid of nsPids(ns)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone already
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function listNamespaces(): string[] {
  return sh(["ip", "netns", "list"], true)
    .split("\n")
    .map((l) => l.trim().split(/\s+/)[0] ?? "")
    .filter((n) => n.length > 0);
}

/** Namespaces left by a demo whose process is gone (SIGKILL leaves them): removed. */
export function sweepStale(log: (line: string) => void = () => {}): string[] {
  const gone: string[] = [];
  for (const ns of listNamespaces()) {
    const m = PREFIX_RE.exec(ns);
    if (!m?.[1]) continue;
    const pid = Number.parseInt(m[1], 36);
    if (pid === process.pid || alive(pid)) continue;
    killNs(ns);
    sh(["ip", "netns", "del", ns], true);
    gone.push(ns);
  }
  if (gone.length > 0) log(`demo: removed ${gone.length} namespace(s) left by an earlier demo: ${gone.join(" ")}`);
  return gone;
}

/** The keel executable: this one when compiled (Bun puts the code under /$bunfs), else dist/keel. */
export function defaultKeelPath(): string {
  if (Bun.main.startsWith("/$bunfs/") || Bun.main.startsWith("B:/~BUN/")) return process.execPath;
  return join(import.meta.dir, "../../dist/keel");
}

interface Proc {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  logFd: number;
}

interface NsRouter {
  pub: DemoRouter;
  ns: string;
  conf: string;
  flag: string;
  starts: number;
  proc?: Proc;
}

export async function startNetnsDemo(opts: DemoOptions = {}): Promise<DemoController> {
  const say = opts.log ?? (() => {});
  if (process.getuid?.() !== 0) throw new Error("the namespace demo needs root (ip netns, raw sockets)");
  const keel = opts.keelPath ?? defaultKeelPath();
  if (!existsSync(keel)) throw new Error(`no keel executable at ${keel} (build it: bun build.ts)`);
  sh(["ip", "-V"]);
  sweepStale(say);

  const prefix = `kd-${process.pid.toString(36)}-${Math.random().toString(36).slice(2, 5)}-`;
  const ns = (host: string) => `${prefix}${host}`;
  const dir = mkdtempSync(join(tmpdir(), "keel-demo-"));
  const made: string[] = [];
  const procs = new Set<Proc>();
  const net = pickNet();
  const vip = vipOf(net);
  let closed = false;

  /** Synchronous, so it can run in an exit handler: every process, namespace and file. */
  const removeAll = () => {
    for (const p of procs) {
      try {
        p.proc.kill("SIGKILL");
      } catch {
        // gone
      }
    }
    // keel's checker child, a script still running, a web server: whatever is in there
    for (const n of made) killNs(n);
    for (const n of [...made].reverse()) sh(["ip", "netns", "del", n], true);
    for (const p of procs)
      try {
        closeSync(p.logFd);
      } catch {
        // closed
      }
    procs.clear();
    rmSync(dir, { recursive: true, force: true });
  };
  const unregister = onProcessEnd(() => {
    closed = true;
    removeAll();
  });

  const spawnIn = (host: string, args: string[], logName: string, env: Record<string, string> = {}): Proc => {
    const logFd = openSync(join(dir, logName), "a", 0o600);
    const proc = Bun.spawn(["ip", "netns", "exec", ns(host), keel, ...args], {
      env: { ...process.env, ...env },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    const p: Proc = { proc, logFd };
    procs.add(p);
    const forward = async (stream: ReadableStream<Uint8Array>) => {
      const dec = new TextDecoder();
      let buf = "";
      try {
        for await (const chunk of stream) {
          const text = dec.decode(chunk, { stream: true });
          try {
            writeSync(logFd, text);
          } catch {
            // the demo is closing
          }
          buf += text;
          let nl = buf.indexOf("\n");
          while (nl >= 0) {
            if (!closed) say(`${host}: ${buf.slice(0, nl)}`);
            buf = buf.slice(nl + 1);
            nl = buf.indexOf("\n");
          }
        }
      } catch {
        // the process was killed
      }
    };
    void forward(proc.stdout);
    void forward(proc.stderr);
    return p;
  };

  const routers: (NsRouter & { priority: number })[] = ROUTERS.map(({ name, priority }) => {
    const flag = join(dir, `${name}.fail`);
    const conf = join(dir, `${name}.conf`);
    return {
      pub: { name, socketPath: join(dir, `${name}.sock`), running: false, checkFailing: false, linkUp: true },
      ns: ns(name),
      conf,
      flag,
      starts: 0,
      priority,
    };
  });

  const startRouter = (r: NsRouter) => {
    const tmp = join(dir, `${r.pub.name}-tmp`);
    mkdirSync(tmp, { recursive: true });
    // fresh pid files per start: a killed keel's files are stale (keepalived's rule: one daemon per pid file)
    const n = r.starts++;
    const args = [
      "-n",
      "-l",
      "-G",
      "-f",
      r.conf,
      "--control-socket",
      r.pub.socketPath,
      "-p",
      join(tmp, `keel-${n}.pid`),
      "-r",
      join(tmp, `keel-vrrp-${n}.pid`),
      "-c",
      join(tmp, `keel-checkers-${n}.pid`),
    ];
    r.proc = spawnIn(r.pub.name, args, `${r.pub.name}.log`, { TMPDIR: tmp });
    r.pub.running = true;
    const proc = r.proc;
    void proc.proc.exited.then((code) => {
      if (r.proc !== proc || closed) return;
      r.pub.running = false;
      say(`demo: ${r.pub.name}'s keel exited (status ${code}); see ${join(dir, `${r.pub.name}.log`)}`);
    });
  };

  const stopRouter = async (r: NsRouter) => {
    const p = r.proc;
    r.proc = undefined;
    r.pub.running = false;
    // a crash: keel and its checker child, with no priority-0 advert
    try {
      p?.proc.kill("SIGKILL");
    } catch {
      // gone
    }
    killNs(r.ns);
    if (p) {
      await Promise.race([p.proc.exited, Bun.sleep(3000)]);
      procs.delete(p);
      try {
        closeSync(p.logFd);
      } catch {
        // closed
      }
    }
  };

  try {
    const sw = ns("sw");
    sh(["ip", "netns", "add", sw]);
    made.push(sw);
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
    HOSTS.forEach((host, i) => {
      const n = ns(host);
      sh(["ip", "netns", "add", n]);
      made.push(n);
      const sysctls = [
        "net.ipv4.conf.all.rp_filter=0",
        "net.ipv4.conf.default.rp_filter=0",
        "net.ipv6.conf.all.disable_ipv6=1",
        "net.ipv6.conf.default.disable_ipv6=1",
      ];
      // LVS NAT on one segment: the director forwards, and must not redirect the web servers' replies
      if (host.startsWith("r"))
        sysctls.push(
          "net.ipv4.ip_forward=1",
          "net.ipv4.conf.all.send_redirects=0",
          "net.ipv4.conf.default.send_redirects=0",
        );
      sh(["ip", "netns", "exec", n, "sysctl", "-qw", ...sysctls]);
      sh(["ip", "-n", n, "link", "set", "lo", "up"]);
      sh(["ip", "-n", sw, "link", "add", `p${i + 1}`, "type", "veth", "peer", "name", "eth0", "netns", n]);
      const last = Number(hostIp(net, host).split(".")[3]);
      sh(["ip", "-n", n, "link", "set", "eth0", "address", `02:13:00:00:00:${last.toString(16).padStart(2, "0")}`]);
      sh(["ip", "-n", sw, "link", "set", `p${i + 1}`, "master", "br0", "up"]);
      sh(["ip", "-n", n, "addr", "add", `${hostIp(net, host)}/24`, "dev", "eth0"]);
      sh(["ip", "-n", n, "link", "set", "eth0", "up"]);
    });
    // LVS NAT: the real servers answer through the director, which holds the VIP
    for (const w of WEBS) sh(["ip", "-n", ns(w), "route", "add", "default", "via", vip]);
    for (const w of WEBS) {
      const p = spawnIn(w, webServerArgs(WEB_PORT, w), `${w}.log`);
      void p.proc.exited.then((code) => {
        if (!closed)
          say(`demo: the web server in ${w} exited (status ${code}); this keel may lack 'keel demo --serve-web'`);
      });
    }
    for (const r of routers) {
      writeFileSync(r.conf, routerConf({ net, router: r.pub.name, priority: r.priority, flagFile: r.flag }));
      startRouter(r);
    }
    // the TUI attaches as soon as this returns: wait for every control socket. A router that
    // exits fails at once (below); the deadline only catches a hang, so it is long: three
    // daemons starting together took more than 10 s on a 2-core machine at a load of 20
    const deadline = performance.now() + 60_000;
    while (routers.some((r) => !existsSync(r.pub.socketPath))) {
      const dead = routers.find((r) => !r.pub.running);
      if (dead)
        throw new Error(
          `${dead.pub.name}'s keel exited at start; its log (${join(dir, `${dead.pub.name}.log`)}) is removed with the demo`,
        );
      if (performance.now() > deadline)
        throw new Error(
          `no control socket from ${routers
            .filter((r) => !existsSync(r.pub.socketPath))
            .map((r) => r.pub.name)
            .join(", ")} within 60 s`,
        );
      await Bun.sleep(50);
    }
  } catch (e) {
    closed = true;
    unregister();
    removeAll();
    throw e;
  }

  const byName = (name: string): NsRouter => {
    const r = routers.find((x) => x.pub.name === name);
    if (!r) throw new Error(`no router ${name} (the demo has ${routers.map((x) => x.pub.name).join(", ")})`);
    if (closed) throw new Error("the demo is closed");
    return r;
  };

  return {
    mode: "namespaces",
    banner: `namespaces ${prefix}*: 3 routers, 2 web servers, 1 client on ${net.base}.0/24; VIP ${vip}`,
    routers: routers.map((r) => r.pub),
    vip,
    dir,
    namespaces: [...made],
    async toggleRouter(name) {
      const r = byName(name);
      if (r.pub.running) {
        say(`demo: ${name} killed (SIGKILL)`);
        await stopRouter(r);
      } else {
        say(`demo: ${name} started`);
        startRouter(r);
      }
    },
    async toggleCheck(name) {
      const r = byName(name);
      r.pub.checkFailing = !r.pub.checkFailing;
      if (r.pub.checkFailing) writeFileSync(r.flag, "the demo made this router's vrrp_script fail\n");
      else rmSync(r.flag, { force: true });
      say(`demo: ${name} check ${r.pub.checkFailing ? "fails" : "passes"} from its next run (${r.flag})`);
    },
    async toggleLink(name) {
      const r = byName(name);
      const up = !r.pub.linkUp;
      sh(["ip", "-n", r.ns, "link", "set", "eth0", up ? "up" : "down"]);
      r.pub.linkUp = up;
      say(`demo: ${name} eth0 ${up ? "up" : "down"}`);
    },
    async close() {
      if (closed) return;
      closed = true;
      unregister();
      const waits = [...procs].map((p) => p.proc.exited);
      removeAll();
      await Promise.race([Promise.all(waits), Bun.sleep(3000)]);
    },
  };
}
