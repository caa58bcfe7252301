/**
 * BFD_CHECK, pure: a real server's checker that follows a BFD session instead of probing
 * (keepalived check/check_bfd.c). The session runs where BFD runs (the daemon); the
 * checker process hears `{name, up}` for each session that sends to checkers
 * (bfd_instance `checker`, or neither `checker` nor `vrrp`: bfd_event_send), at its
 * start, after each reload, and on every Up / leaving Up.
 *
 * The rules (check_bfd.c bfd_check_handle_event, ipwrapper.c update_svr_checker_state):
 * - a checker starts up (queue_checker: is_up = true), or down under `alpha` (the
 *   real server's pool counts it failed before init_services);
 * - an event equal to the checker's state once it has run changes nothing and logs
 *   nothing (keepalived compares per checker: alpha can make two checkers of one session
 *   disagree);
 * - otherwise it logs "BFD check of [NAME] RS(...) is UP|DOWN", and
 *   - equal to the state on the first event: no change, but the real server's notify
 *     runs when the checker is alpha or the state is down (do_rs_notifies);
 *   - different: the checker goes up or down and the pool hears of it (a real server
 *     leaves IPVS while any of its checkers is down; inhibit_on_failure keeps it at
 *     weight 0), with check_bfd.c's alert "=> BFD CHECK NAME succeeded|failed on service <=";
 * - a reload keeps an unchanged checker's state (ipwrapper.c migrate_checkers compares
 *   the bfd name only), and the daemon sends every session's state again, as
 *   keepalived's BFD process does at its reload.
 */

export interface BfdCheckState {
  up: boolean;
  hasRun: boolean;
}

export interface BfdCheckStep {
  next: BfdCheckState;
  /** whether keepalived logs "BFD check of [...] is ..." */
  log: boolean;
  /** the checker's state change for the pool */
  change?: "up" | "down";
  /** the real server's notify runs although nothing changed (first result agrees) */
  firstNotify: boolean;
}

export function initialBfdCheck(alpha: boolean): BfdCheckState {
  return { up: !alpha, hasRun: false };
}

export function bfdCheckEvent(st: BfdCheckState, sessionUp: boolean, alpha: boolean): BfdCheckStep {
  if (sessionUp === st.up && st.hasRun) return { next: st, log: false, firstNotify: false };
  const next = { up: sessionUp, hasRun: true };
  if (sessionUp === st.up) return { next, log: true, firstNotify: alpha || !sessionUp };
  return { next, log: true, change: sessionUp ? "up" : "down", firstNotify: false };
}

/** check_bfd.c's alert text. */
export function bfdCheckAlert(name: string, up: boolean): string {
  return `=> BFD CHECK ${name} ${up ? "succeeded" : "failed"} on service <=`;
}
