/**
 * VRRP timers in keepalived's integer microsecond arithmetic (vrrp.h
 * VRRP_TIMER_SKEW_CALC, VRRP_MS_DOWN_TIMER), returned in milliseconds.
 *
 * RFC 5798 6.1: Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256,
 *               Master_Down_Interval = 3 * Master_Adver_Interval + Skew_Time.
 * RFC 3768 6.1 (v2): Skew_Time = (256 - Priority) / 256 seconds.
 * keepalived makes the 3 configurable (down_timer_adverts).
 */

/** Skew_Time in ms for `priority` (an address owner always uses 255). */
export function skewMs(version: 2 | 3, masterAdverIntCs: number, priority: number): number {
  const p = 256 - priority;
  // v3: p * cs * 10000 / 256 µs = p * cs * 625 / 16 µs, truncated as in C
  const us = version === 3 ? Math.floor((p * masterAdverIntCs * 625) / 16) : Math.floor((p * 1_000_000) / 256);
  return us / 1000;
}

/** Master_Down_Interval in ms. */
export function masterDownMs(version: 2 | 3, masterAdverIntCs: number, priority: number, downTimerAdverts = 3): number {
  return downTimerAdverts * masterAdverIntCs * 10 + skewMs(version, masterAdverIntCs, priority);
}

/** The smallest skew (priority 255), used to let one advert interval pass at start. */
export function minSkewMs(version: 2 | 3, masterAdverIntCs: number): number {
  return skewMs(version, masterAdverIntCs, 255);
}

/**
 * timer_expired_backup (keepalived 2.4 vrrp.c): how long after a master's last advert
 * another router of priority `highestOther` may have taken over, `adverts` advert
 * intervals plus its Skew_Time (vrrp_thread_timeout_handler uses 3, the lateness that
 * makes the check worth running 2: vrrp_complete_instances' quickest_takeover). The
 * interval is the instance's own advert_int (vrrp->adver_int), not the master's.
 */
export function takeoverMs(version: 2 | 3, advertIntCs: number, highestOther: number, adverts: number): number {
  return adverts * advertIntCs * 10 + skewMs(version, advertIntCs, highestOther);
}
