/**
 * The daemon's one policy for unexpected exceptions (DESIGN.md "The daemon", table
 * "When a part throws"). Every callback entry point of the daemon runs inside `guard`:
 * a throw is logged with its stack and what the daemon was doing, counted per part
 * (`keel_internal_errors_total{part}` and `internalErrors` in the control status), and
 * then handled as the part's policy says: restart the part, contain the one call, or
 * stop the daemon with exit status 70 so its supervisor starts a clean one. Nothing
 * throws past a guard, and no part stops silently.
 *
 * keepalived's model is the same at process granularity: its parent restarts a VRRP or
 * checker child that dies (keepalived.c respawn), and exits with
 * KEEPALIVED_EXIT_PROGRAM_ERROR (70, EX_SOFTWARE) when it cannot trust itself.
 */
import type { Logger } from "./log";
import type { ChannelOptions, Kernel, KernelEvent } from "./kernel";

/** The parts of the daemon, as `part` labels. */
export type Part =
  | "vrrp"
  | "scripts"
  | "trackers"
  | "control"
  | "control-request"
  | "checkers"
  | "notify"
  | "lvs-sync"
  | "signals"
  | "metrics"
  | "reload"
  | "snmp"
  | "dbus"
  | "process";

/**
 * - restart: a new instance of the part is built from the running configuration
 * - contain: the one call fails (logged, counted); the part runs on
 * - exit: a best-effort clean stop, then exit status 70 (the supervisor restarts keel)
 */
export type Policy = "restart" | "contain" | "exit";

export const POLICY: Readonly<Record<Part, Policy>> = {
  vrrp: "exit",
  scripts: "restart",
  trackers: "restart",
  control: "restart",
  "control-request": "contain",
  checkers: "contain",
  notify: "contain",
  "lvs-sync": "contain",
  signals: "contain",
  metrics: "contain",
  reload: "contain",
  snmp: "contain",
  dbus: "contain",
  process: "exit",
};

/** keepalived 2.2.7's KEEPALIVED_EXIT_PROGRAM_ERROR (lib/scheduler.h: 70, EX_SOFTWARE): an internal error, not a config or permission problem */
export const EXIT_PROGRAM_ERROR = 70;

export class Faults {
  private readonly counts = new Map<Part, number>();
  private readonly restarters = new Map<Part, () => void>();
  private uninstall?: () => void;

  constructor(
    private readonly log: Logger,
    /** the daemon's stop with an exit status (called once per fatal fault; stop is idempotent) */
    private readonly fatal: (part: Part, error: unknown) => void,
  ) {}

  /** How a part with the `restart` policy is restarted. */
  onRestart(part: Part, restart: () => void): void {
    this.restarters.set(part, restart);
  }

  /** Every part with its count (0 included, so a dashboard's rate() has a series). */
  snapshot(): Record<Part, number> {
    const out = {} as Record<Part, number>;
    for (const p of Object.keys(POLICY) as Part[]) out[p] = this.counts.get(p) ?? 0;
    return out;
  }

  /** `fn` as an entry point of `part`: a throw is reported and the call returns undefined. */
  guard<A extends unknown[], R>(part: Part, context: string, fn: (...args: A) => R): (...args: A) => R | undefined {
    return (...args: A) => {
      try {
        return fn(...args);
      } catch (e) {
        this.report(part, context, e);
        return undefined;
      }
    };
  }

  /** Log and count an unexpected throw without acting on it (the daemon's best-effort stop). */
  count(part: Part, context: string, e: unknown, then = "continuing"): void {
    this.counts.set(part, (this.counts.get(part) ?? 0) + 1);
    this.log.error({ event: "internal-error", part }, `internal error in ${part} (${context}); ${then}: ${stackOf(e)}`);
  }

  /** An unexpected throw in `part` while doing `context`: log, count, act on the policy. */
  report(part: Part, context: string, e: unknown): void {
    const policy = POLICY[part];
    this.count(part, context, e, { restart: "restarting it", contain: "continuing", exit: "stopping keel" }[policy]);
    if (policy === "exit") this.fatal(part, e);
    if (policy !== "restart") return;
    const restart = this.restarters.get(part);
    try {
      restart?.();
    } catch (e2) {
      // a part that cannot even be rebuilt is not a part keel can run without
      this.counts.set(part, (this.counts.get(part) ?? 0) + 1);
      this.log.error(
        { event: "internal-error", part, policy: "exit" },
        `cannot restart ${part}; stopping keel: ${stackOf(e2)}`,
      );
      this.fatal(part, e2);
    }
  }

  /**
   * Process-wide: a throw or rejection no guard caught (a timer or socket callback inside
   * a part) is counted as `process` and stops the daemon with exit status 70; without
   * these handlers Bun would print it and exit 1, leaving VIPs and pid files behind.
   */
  installProcessHandlers(): void {
    if (this.uninstall) return;
    const onException = (e: unknown) => this.report("process", "uncaught exception", e);
    const onRejection = (e: unknown) => this.report("process", "unhandled promise rejection", e);
    process.on("uncaughtException", onException);
    process.on("unhandledRejection", onRejection);
    this.uninstall = () => {
      process.off("uncaughtException", onException);
      process.off("unhandledRejection", onRejection);
    };
  }

  removeProcessHandlers(): void {
    this.uninstall?.();
    this.uninstall = undefined;
  }
}

/** The stack when there is one (it names file:line), else the value as text. */
export function stackOf(e: unknown): string {
  if (e instanceof Error) return e.stack ?? `${e.name}: ${e.message}`;
  return String(e);
}

/**
 * The kernel as the VRRP driver sees it, with the driver's input callbacks (netlink
 * events, received adverts) as guarded entry points of the `vrrp` part.
 */
export function guardedKernel(k: Kernel, faults: Faults): Kernel {
  return {
    links: () => k.links(),
    addresses: () => k.addresses(),
    openChannel: (o: ChannelOptions) =>
      k.openChannel({
        ...o,
        onPacket: faults.guard("vrrp", `an advert on ${o.ifname}`, o.onPacket),
        onError: faults.guard("vrrp", `a receive error on ${o.ifname}`, o.onError),
      }),
    vip: (op, a, ifindex) => k.vip(op, a, ifindex),
    vips: (op, items) => k.vips(op, items),
    ...(k.prepareVips ? { prepareVips: k.prepareVips.bind(k) } : {}),
    ...(k.queueVips && k.unqueueVips ? { queueVips: k.queueVips.bind(k), unqueueVips: k.unqueueVips.bind(k) } : {}),
    route: (op, r, ifindexOf) => k.route(op, r, ifindexOf),
    rule: (op, r) => k.rule(op, r),
    garp: (ifname, address, family) => k.garp(ifname, address, family),
    ...(k.prepareGarps ? { prepareGarps: k.prepareGarps.bind(k) } : {}),
    createVmac: (name, link, mac, master, index) => k.createVmac(name, link, mac, master, index),
    ...(k.createIpvlan ? { createIpvlan: k.createIpvlan.bind(k) } : {}),
    deleteLink: (ifindex) => k.deleteLink(ifindex),
    setLinkUp: (ifindex, up) => k.setLinkUp(ifindex, up),
    ...(k.ipv4Conf ? { ipv4Conf: k.ipv4Conf.bind(k) } : {}),
    ...(k.ipv6Conf ? { ipv6Conf: k.ipv6Conf.bind(k) } : {}),
    ...(k.updateVmac ? { updateVmac: k.updateVmac.bind(k) } : {}),
    ...(k.linkLocal ? { linkLocal: k.linkLocal.bind(k) } : {}),
    watch: (onEvent: (e: KernelEvent) => void, o?: Parameters<Kernel["watch"]>[1]) =>
      k.watch(faults.guard("vrrp", "a netlink event", onEvent), {
        ...o,
        ...(o?.onIdle ? { onIdle: faults.guard("vrrp", "the netlink events read", o.onIdle) } : {}),
      }),
    ...(k.readEvents ? { readEvents: k.readEvents.bind(k) } : {}),
    close: () => k.close(),
  };
}
