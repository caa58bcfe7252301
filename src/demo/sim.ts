/**
 * The simulated demo (no root): the three routers run in this process as real
 * VrrpDriver instances (the daemon's code path), each on its own SimKernel host, all on
 * one SimSegment, in real time. Each router has its own ControlServer on a Unix socket,
 * so a client attaches exactly as to a real daemon.
 *
 * - toggleRouter: a crash (no priority-0 advert, the VIPs stay on the host, the socket
 *   goes away) / a fresh start from the same configuration (which removes stale VIPs).
 * - toggleCheck: the router's vrrp_script result, reported every `interval` as the
 *   daemon's VrrpScriptRunner reports each run (the engine applies rise/fall and weight).
 * - toggleLink: eth0 down/up, reported as netlink would (link down → FAULT).
 * Health checkers and IPVS are not simulated; `status` says so in `lvs`.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "../runtime/log";
import type { KeelConfig } from "../config/model";
import { formatDiagnostic } from "../config/diagnostics";
import { loadConfig } from "../config/load";
import type { Event, InstanceStatus } from "../control/protocol";
import { ControlServer } from "../runtime/control";
import { statsJson } from "../runtime/dumps";
import { createLogger } from "../runtime/log";
import { type TrackResults, statusOf } from "../runtime/status";
import { VrrpDriver } from "../runtime/vrrp-driver";
import { onProcessEnd } from "./cleanup";
import { ROUTERS, hostIp, pickNet, routerConf, vipOf } from "./config";
import { SimKernel, SimSegment } from "./sim-kernel";
import type { DemoController, DemoOptions, DemoRouter } from "./types";

const LVS_NOTE = "simulated network: health checkers and IPVS are not simulated (run the demo as root for namespaces)";

interface SimRouter {
  pub: DemoRouter;
  kernel: SimKernel;
  config: KeelConfig;
  confPath: string;
  logPath: string;
  logFd: number;
  muted: boolean;
  log: Logger;
  driver?: VrrpDriver;
  control?: ControlServer;
  ticker?: ReturnType<typeof setInterval>;
}

export async function startSimDemo(opts: DemoOptions = {}): Promise<DemoController> {
  const say = opts.log ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), "keel-demo-"));
  const routers: SimRouter[] = [];
  let closed = false;
  const removeAll = () => {
    for (const r of routers) {
      r.muted = true;
      if (r.ticker) clearInterval(r.ticker);
      r.ticker = undefined;
      try {
        r.control?.stop();
      } catch {
        // already stopped
      }
      r.control = undefined;
      try {
        r.driver?.stop();
      } catch {
        // best effort
      }
      r.driver = undefined;
      r.kernel.close();
      try {
        closeSync(r.logFd);
      } catch {
        // already closed
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const unregister = onProcessEnd(() => {
    closed = true;
    removeAll();
  });

  const net = pickNet();
  try {
    const segment = new SimSegment();
    for (const { name, priority } of ROUTERS) {
      const kernel = new SimKernel({ name, segment, ipv4: hostIp(net, name), prefixLen: 24 });
      const flagFile = join(dir, `${name}.fail`);
      const confPath = join(dir, `${name}.conf`);
      // the script is never run here (toggleCheck sets its result); the text is what a real router runs
      writeFileSync(confPath, routerConf({ net, router: name, priority, flagFile }));
      const loaded = loadConfig(confPath, {
        configId: name,
        host: { interfaceExists: (n) => kernel.linkByName(n) !== undefined },
      });
      if (loaded.diagnostics.errorCount > 0)
        throw new Error(
          `demo configuration ${confPath}:\n${loaded.diagnostics.items.map(formatDiagnostic).join("\n")}`,
        );
      const logPath = join(dir, `${name}.log`);
      const logFd = openSync(logPath, "a", 0o600);
      const r: SimRouter = {
        pub: { name, socketPath: join(dir, `${name}.sock`), running: false, checkFailing: false, linkUp: true },
        kernel,
        config: loaded.config,
        confPath,
        logPath,
        logFd,
        muted: false,
        log: undefined as unknown as Logger,
      };
      r.log = createLogger({
        write: (line) => {
          if (r.muted) return;
          writeSync(r.logFd, line);
          say(`${name}: ${line.trimEnd()}`);
        },
      });
      routers.push(r);
    }
    for (const r of routers) start(r);
  } catch (e) {
    unregister();
    removeAll();
    throw e;
  }

  function start(r: SimRouter): void {
    r.kernel.revive();
    r.muted = false;
    const startedAt = Date.now();
    const lastTransition = new Map<string, InstanceStatus["lastTransition"]>();
    const trackResults: TrackResults = new Map();
    let control: ControlServer | undefined;
    const onEvent = (e: Event) => {
      if (e.event === "transition")
        lastTransition.set(e.instance, { at: e.at, from: e.from, to: e.to, reason: e.reason });
      if (e.event === "track" && e.kind === "script")
        trackResults.set(`script:${e.name}`, { ok: e.ok, code: e.code, ms: e.ms, at: e.at });
      control?.broadcast(e);
    };
    r.log.info(
      `Starting Keel (simulated host ${r.pub.name}, ${r.kernel.addressesOn("eth0")[0] ?? "no address"} on eth0)`,
    );
    r.log.info(`Configuration file ${r.confPath}`);
    const driver = new VrrpDriver({ config: r.config, kernel: r.kernel, log: r.log, onEvent });
    control = new ControlServer(
      r.pub.socketPath,
      {
        status: () => {
          const st = statusOf(driver, r.confPath, startedAt, lastTransition, trackResults);
          st.lvs = { available: false, error: LVS_NOTE };
          return st;
        },
        garp: (name) => {
          if (!driver.router.instances.has(name)) return `no instance ${name}`;
          driver.sendGarp(name);
          return undefined;
        },
        dump: () => JSON.parse(statsJson(driver.router, driver.dropped)),
        reload: () => ({ ok: false, errors: ["reload is not available in the simulated demo"] }),
        explain: (name) => driver.explain(name),
      },
      r.log,
    );
    control.start();
    r.control = control;
    r.driver = driver;
    driver.start();
    // the daemon's VrrpScriptRunner: every tracked script runs at start, then every interval
    for (const s of Object.values(r.config.vrrpScripts)) {
      const run = () => {
        const ok = !r.pub.checkFailing;
        onEvent({ event: "track", at: Date.now(), kind: "script", name: s.name, ok, code: ok ? 0 : 1, ms: 1 });
        driver.track({ kind: "script", name: s.name, ok });
      };
      run();
      r.ticker = setInterval(run, Math.max(100, s.interval * 1000));
    }
    r.log.info("Startup complete");
    r.pub.running = true;
  }

  /** As SIGKILL: nothing more leaves the host (no priority-0 advert), its VIPs stay, its socket goes. */
  function crash(r: SimRouter): void {
    r.log.info("(demo) killed with SIGKILL");
    r.muted = true;
    if (r.ticker) clearInterval(r.ticker);
    r.ticker = undefined;
    r.control?.stop();
    r.control = undefined;
    r.kernel.crash();
    // stop() only releases the driver's timer and channels here: the crashed host swallows
    // its priority-0 advert and VIP removal
    r.driver?.stop();
    r.driver = undefined;
    r.pub.running = false;
  }

  const byName = (name: string): SimRouter => {
    const r = routers.find((x) => x.pub.name === name);
    if (!r) throw new Error(`no router ${name} (the demo has ${routers.map((x) => x.pub.name).join(", ")})`);
    if (closed) throw new Error("the demo is closed");
    return r;
  };

  return {
    mode: "simulated",
    banner: `simulated network (no root): 3 routers in this process, virtual time at 1x real time; VIP ${vipOf(net)}; health checkers are not simulated`,
    routers: routers.map((r) => r.pub),
    vip: vipOf(net),
    dir,
    async toggleRouter(name) {
      const r = byName(name);
      if (r.pub.running) {
        say(`demo: ${name} killed (SIGKILL)`);
        crash(r);
      } else {
        say(`demo: ${name} started`);
        start(r);
      }
    },
    async toggleCheck(name) {
      const r = byName(name);
      r.pub.checkFailing = !r.pub.checkFailing;
      say(`demo: ${name} check ${r.pub.checkFailing ? "fails" : "passes"} from its next run`);
    },
    async toggleLink(name) {
      const r = byName(name);
      r.pub.linkUp = !r.pub.linkUp;
      say(`demo: ${name} eth0 ${r.pub.linkUp ? "up" : "down"}`);
      r.kernel.setLink("eth0", r.pub.linkUp);
    },
    async close() {
      if (closed) return;
      closed = true;
      unregister();
      removeAll();
    },
  };
}
