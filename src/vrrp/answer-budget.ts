/**
 * Which priority-0 and lower-priority adverts a master answers (keepalived
 * vrrp_state_master_rx answers every one).
 */

/** answers to priority-0 / lower-priority adverts per advert interval, all peers together */
export const ANSWERS_PER_INTERVAL = 4;

export class AnswerBudget {
  /** when each peer was last answered: at most ANSWERS_PER_INTERVAL live entries */
  private readonly answeredAt = new Map<string, number>();
  /** the instance-wide budget: the current window's start and the answers given in it */
  private windowStart = Number.NEGATIVE_INFINITY;
  private inWindow = 0;
  /** answerable adverts left unanswered since the last answer (reported with the next one) */
  private unanswered = 0;

  /**
   * May the master answer this priority-0 or lower-priority advert now? keepalived
   * (vrrp_state_master_rx) answers every one; its only brake is vrrp_dispatcher_read
   * going back to the scheduler after the second advert for a VRID in one read. keel
   * answers each peer at most once per advert interval: the answer goes to the whole
   * group (or every unicast peer), and the periodic advert follows within the interval
   * anyway, so a second answer in the same interval tells nobody anything new. Senders
   * with ever new addresses share an instance-wide budget of ANSWERS_PER_INTERVAL
   * answers per interval (a partition that heals can leave a few lower masters, each
   * owed its answer, GARPs and log line). Unanswered adverts are counted and reported
   * with the next answer.
   */
  allow(from: string, now: number, interval: number): boolean {
    const last = this.answeredAt.get(from);
    if (now - this.windowStart >= interval) {
      this.windowStart = now;
      this.inWindow = 0;
    }
    if ((last !== undefined && now - last < interval) || this.inWindow >= ANSWERS_PER_INTERVAL) {
      this.unanswered++;
      return false;
    }
    this.inWindow++;
    // only peers answered within the last interval matter: at most the budget of them
    if (this.answeredAt.size >= 2 * ANSWERS_PER_INTERVAL)
      for (const [peer, t] of this.answeredAt) if (now - t >= interval) this.answeredAt.delete(peer);
    this.answeredAt.set(from, now);
    return true;
  }

  /** How many went unanswered since the last answer; counting starts again. */
  takeUnanswered(): number {
    const n = this.unanswered;
    this.unanswered = 0;
    return n;
  }
}
