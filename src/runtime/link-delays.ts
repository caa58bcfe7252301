/**
 * `interface_up_down_delays { IFNAME DOWN [UP] }`: a link going down (or up) counts only
 * once it has stayed so for the delay, as keepalived 2.2.7 debounces netlink reports
 * (core/keepalived_netlink.c update_interface_flags, delayed_if_flags_change_thread):
 *
 * - a change of up-ness (IFF_UP && IFF_RUNNING) on an interface with a delay for that
 *   direction, once the interface has been seen up, starts a timer ("IF: Adding flags
 *   change from 0xOLD to 0xNEW delay by USECS"); until it fires, the old state stands;
 * - a report back to the standing state cancels the timer (a flap shorter than the delay
 *   has no effect), without a word unless other flags changed ("Delay timer for IF cancelled"); a report of the same direction as the pending one only
 *   updates the flags the timer will apply;
 * - a first up of an interface never seen up, and a new or deleted link, count at once.
 *
 * vrrp.c vrrp_complete_instance / check_debounce_timers: a delay must stay below
 * (down_timer_adverts - 1) × advert_int of every instance on the interface (else a backup
 * would take over before a down counts); a longer one is cut to that less advert_int/256,
 * and with down_timer_adverts 1 there can be no delay at all. A VRRPv3 backup that learns a
 * master's shorter interval (RFC 5798 6.4.2, Master_Adver_Interval) cuts again against it
 * (vrrp.c update_master_adver_int: only when it gets shorter; a cut is never undone until a
 * reload reads the configured delays again).
 */
import type { KeelConfig } from "../config/model";
import type { Logger } from "./log";
import type { Timers } from "./vrrp-driver";

/** keepalived's TIMER_HZ: delays are kept and logged in microseconds */
const USEC = 1_000_000;

interface Delay {
  /** µs */
  down: number;
  up: number;
}

interface Pending {
  up: boolean;
  flags: number;
  handle: unknown;
}

/** What the driver does with a link report: apply it now, or keep the old state (a timer runs). */
export type Verdict = "apply" | "defer";

export class LinkDelays {
  private readonly delays = new Map<string, Delay>();
  private readonly pending = new Map<string, Pending>();
  /** keepalived's ifp->seen_up: a first up is never delayed */
  private readonly seenUp = new Set<string>();

  constructor(
    private readonly timers: Timers,
    private readonly log: Logger,
    /** a delayed change is due: the driver applies `up` (and the link's flags) now */
    private readonly onSettle: (name: string, up: boolean, flags: number) => void,
  ) {}

  /** The delays of `config`, cut as vrrp_complete_instance cuts them (its log lines). */
  configure(config: KeelConfig): void {
    this.delays.clear();
    for (const d of config.interfaceUpDownDelays) {
      if (d.interface === undefined) continue;
      const down = Math.round((d.downDelay ?? 0) * USEC);
      const up = Math.round((d.upDelay ?? 0) * USEC);
      if (down > 0 || up > 0) this.delays.set(d.interface, { down, up });
    }
    for (const v of Object.values(config.vrrpInstances)) {
      const ifname = v.interface;
      const d = ifname === undefined ? undefined : this.delays.get(ifname);
      if (!d || ifname === undefined) continue;
      const adverts = v.downTimerAdverts ?? 3;
      if (adverts === 1) {
        this.log.info(`${v.name}: cannot use debounce timers with down_timer_adverts = 1 - resetting`);
        this.delays.delete(ifname);
        continue;
      }
      if (this.cut(ifname, adverts, Math.round(v.advertInt * USEC)))
        this.log.info(
          `${v.name}: interface ${ifname} debounce timer(s) not less that ${adverts - 1} * advert_int - resetting`,
        );
    }
  }

  /**
   * vrrp.c update_master_adver_int: instance `name` on `ifname` (its configured interface)
   * now hears a master advertising every `toCs` centiseconds where it had `fromCs`. A
   * shorter interval cuts the interface's delays against it (check_debounce_timers).
   */
  masterAdverInt(
    name: string,
    ifname: string | undefined,
    downTimerAdverts: number,
    fromCs: number,
    toCs: number,
  ): void {
    if (ifname === undefined || toCs >= fromCs) return;
    // keepalived says so only with -D (LOG_DETAIL_BIT): keel's debug
    if (this.cut(ifname, downTimerAdverts, toCs * (USEC / 100)))
      this.log.debug(`${name}: lower advert_int reducing interface ${ifname} debounce timer(s)`);
  }

  /**
   * check_debounce_timers: each delay of `ifname` not below (adverts - 1) × advert (µs) is
   * cut to that less advert/256; nothing with down_timer_adverts 1. Whether any was cut.
   */
  private cut(ifname: string, adverts: number, advert: number): boolean {
    const d = this.delays.get(ifname);
    if (!d || adverts === 1) return false;
    const limit = (adverts - 1) * advert;
    if (d.up < limit && d.down < limit) return false;
    const cut = limit - Math.floor(advert / 256);
    if (d.up >= limit) d.up = cut;
    if (d.down >= limit) d.down = cut;
    return true;
  }

  /** The delay of `name` in µs, by direction (0: none). For the dump and tests. */
  delayOf(name: string): Delay | undefined {
    return this.delays.get(name);
  }

  /** The link is known and up (at start, at a re-read): a later up-down-up can be delayed. */
  noteState(name: string, up: boolean): void {
    if (up) this.seenUp.add(name);
  }

  /**
   * A netlink report for a known link: `was` is the state that stands (what the driver
   * believes), `now` what the kernel says.
   */
  offer(name: string, was: { up: boolean; flags: number }, now: { up: boolean; flags: number }): Verdict {
    const p = this.pending.get(name);
    if (p) {
      if (now.up === was.up) {
        // back to the standing state before the delay ran out: as if nothing happened
        // (keepalived says so only when other flags changed on the way)
        this.cancel(name);
        if (now.flags !== was.flags) this.log.info(`Delay timer for ${name} cancelled`);
        return "apply";
      }
      // the same direction as the pending change: the timer applies the newest flags
      p.flags = now.flags;
      return "defer";
    }
    if (now.up === was.up) return "apply";
    const d = this.delays.get(name);
    const usec = d ? (now.up ? d.up : d.down) : 0;
    if (usec > 0 && this.seenUp.has(name)) {
      const handle = this.timers.set(() => this.fire(name), usec / 1000);
      this.pending.set(name, { up: now.up, flags: now.flags, handle });
      this.log.info(
        `${name}: Adding flags change from 0x${was.flags.toString(16)} to 0x${now.flags.toString(16)} delay by ${usec}`,
      );
      return "defer";
    }
    if (now.up) this.seenUp.add(name);
    return "apply";
  }

  /** A delayed change waits on `name`: the state standing until it is due is the old one. */
  isPending(name: string): boolean {
    return this.pending.has(name);
  }

  /** The link is gone (RTM_DELLINK), or the tables were read again: nothing waits on it. */
  forget(name: string): void {
    this.cancel(name);
  }

  /** Every timer stopped (the driver stops). */
  stop(): void {
    for (const name of [...this.pending.keys()]) this.cancel(name);
  }

  private cancel(name: string): void {
    const p = this.pending.get(name);
    if (!p) return;
    this.timers.clear(p.handle);
    this.pending.delete(name);
  }

  private fire(name: string): void {
    const p = this.pending.get(name);
    if (!p) return;
    this.pending.delete(name);
    if (p.up) this.seenUp.add(name);
    this.onSettle(name, p.up, p.flags);
  }
}
