/**
 * `keel explain` in words: an instance's view (cause.ts) rendered into one sentence for its
 * standing state, what would change it, and its last decisions, each with the numbers.
 * Pure (no I/O, no clock): the caller passes `now` and how to show a time. The same
 * `describeCause` words one cause wherever a transition is shown (explain, the TUI,
 * simulate's timeline).
 */
import { PRIO_OWNER } from "../base/vrrp";
import type { Cause, Fault, Hold, InstanceView, PriorityShare, TrackerShare } from "./cause";
import type { TransitionReason, VrrpState } from "./types";

export interface ExplainedDecision {
  /** epoch ms */
  at: number;
  from: VrrpState;
  to: VrrpState;
  reason: TransitionReason;
  rule: string;
  words: string;
}

export interface Explanation {
  instance: string;
  state: VrrpState;
  /** epoch ms of the last state change */
  since?: number;
  sentence: string;
  wouldChange: string[];
  /** oldest first */
  decisions: ExplainedDecision[];
}

export interface ExplainClock {
  /** monotonic ms now (the engine's time) */
  now: number;
  /** a monotonic engine time as epoch ms */
  wallOf(mono: number): number;
  /** how an epoch ms time is shown ("10:04:12"); local HH:MM:SS when absent */
  timeOf?(epochMs: number): string;
}

/** Seconds as the protocol counts them: centiseconds, truncated ("3.61 s", "1 s"). */
export function secs(ms: number): string {
  const cs = Math.floor(ms / 10 + 1e-9);
  return `${(cs / 100).toFixed(2).replace(/\.?0+$/, "")} s`;
}

/** A signed delta with a real minus sign ("−2", "+10"). */
function signed(n: number): string {
  return n < 0 ? `\u2212${-n}` : `+${n}`;
}

/** HH:MM:SS in local time (the default `timeOf`) */
export function localTime(epochMs: number): string {
  const d = new Date(epochMs);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":");
}

function trackerStatus(t: TrackerShare): string {
  if (typeof t.status === "number") return `= ${t.status}`;
  if (t.status === "init") return "not run yet";
  if (t.kind === "script") return t.status === "down" ? "failed" : "ok";
  return t.status;
}

/** "mine 98 (base 100, chk_nginx failed −2)": the own priority and what moved it. */
export function priorityWords(p: PriorityShare): string {
  const moved = p.trackers.filter((t) => t.delta !== 0).map((t) => `${t.name} ${trackerStatus(t)} ${signed(t.delta)}`);
  const total = p.base + p.trackers.reduce((n, t) => n + t.delta, 0);
  if (p.effective !== total && p.base !== PRIO_OWNER) moved.push(`clamped to ${p.effective}`);
  else if (p.base === PRIO_OWNER && p.effective !== PRIO_OWNER) moved.push("backed off for another owner");
  if (moved.length === 0 && p.effective === p.base) return `mine ${p.effective}`;
  return `mine ${p.effective} (base ${p.base}${moved.map((m) => `, ${m}`).join("")})`;
}

/** What a fault is, in words ("script chk_nginx failed", "interface eth1 is down"). */
export function faultWords(f: Fault): string {
  switch (f.kind) {
    case "interface":
      return `interface ${f.name} is down`;
    case "script":
      return `script ${f.name} failed`;
    case "file":
      return `track_file ${f.name} reads a failing value`;
    case "process":
      return `track_process ${f.name} has too few processes`;
    case "bfd":
      return `BFD session ${f.name} is down`;
    case "sync-group":
      return `another member of sync group ${f.name} is faulted`;
    case "init":
      return `waiting for script ${f.name}'s first result`;
    case "address":
      return `interface ${f.name} has no address to send adverts from${f.detail ? ` (${f.detail})` : ""}`;
  }
}

function recoveredWords(f: Fault): string {
  switch (f.kind) {
    case "interface":
      return `interface ${f.name} came up`;
    case "script":
      return `script ${f.name} succeeded`;
    case "init":
      return `script ${f.name} reported its first result`;
    case "address":
      return `interface ${f.name} has an address to send adverts from`;
    default:
      return `${f.kind} ${f.name} recovered`;
  }
}

/** An operator's hold in words: who, why, and what it does. */
export function holdWords(h: Hold, resigned = false): string {
  const who = h.by ? ` by ${h.by}` : "";
  const why = h.reason ? ` ("${h.reason}")` : "";
  const what =
    h.kind === "maintenance"
      ? "maintenance is on, so I stay BACKUP even with no master"
      : h.kind === "standby"
        ? "standby for a switchover to another node: I stay BACKUP until it is master"
        : "switchover: I do not preempt the master I handed over to";
  return `${resigned ? "resigned (priority 0 advert): " : ""}${what}${who}${why}`;
}

function compare(sender: number, mine: number): string {
  return sender > mine ? ">" : sender < mine ? "<" : "=";
}

/** One cause in plain words with its numbers (no state prefix, no rule). */
export function describeCause(c: Cause): string {
  const mine = priorityWords(c.priority);
  switch (c.reason) {
    case "init":
      return c.faults.length > 0
        ? `started held in FAULT: ${c.faults.map(faultWords).join(", ")}`
        : `started as BACKUP; waiting Master_Down_Interval ${secs(c.downMs ?? c.timers.masterDownMs)} for a master's advert`;
    case "address-owner":
      return "priority 255 owns the virtual addresses, so it is master at once";
    case "master-down-timer":
      return c.lastHeard
        ? `no advert from ${c.lastHeard.address} (priority ${c.lastHeard.priority}) for Master_Down_Interval ${secs(c.timers.masterDownMs)}; ${mine}`
        : `no master heard for Master_Down_Interval ${secs(c.timers.masterDownMs)}; ${mine}`;
    case "priority-zero-received":
      return `${c.sender.address} resigned (priority 0 advert), so I took over after Skew_Time ${secs(c.timers.skewMs)}`;
    case "preempt": {
      const delay = c.preempt.delayMs > 0 ? ` and preempt_delay ${secs(c.preempt.delayMs)} has passed` : "";
      return `${c.sender.address} advertised priority ${c.sender.priority} < ${mine}; preemption is on${delay}, so I took over`;
    }
    case "higher-priority-advert":
      return `${c.sender.address} advertises priority ${c.sender.priority} > ${mine}`;
    case "equal-priority-higher-ip":
      return `${c.sender.address} advertises priority ${c.sender.priority} = ${mine}, and its address is higher than mine${c.source ? ` (${c.source})` : ""}`;
    case "track-fault":
    case "interface-down":
      return c.faults.length > 1
        ? `${faultWords(c.fault)} (faults: ${c.faults.map(faultWords).join(", ")})`
        : faultWords(c.fault);
    case "track-recovered":
    case "interface-up":
      return `${recoveredWords(c.fault)}; no fault left`;
    case "sync-group":
      return `sync group ${c.group} follows its member ${c.member}, which went ${c.memberState}`;
    case "shutdown":
      return "keel is stopping (a master sends a priority-0 advert and drops its addresses)";
    case "hold":
      return holdWords(c.hold, true);
    case "command":
      return "an operator command";
    case "route-deleted":
      return `its route or rule ${c.what} was deleted`;
    case "vip-deleted":
      return `its virtual address ${c.what} was deleted`;
    case "timer-expired-backup":
      return `keel ran ${secs(c.lateMs)} late: its last advert went out ${secs(c.sinceAdvertMs)} ago, at least ${secs(c.takeoverMs)} (3 intervals + the skew of priority ${c.highestOther}), so another router may have taken over (timer_expired_backup)`;
  }
}

/** The instance's standing state, what would change it, and its last decisions. */
export function explain(v: InstanceView, clock: ExplainClock): Explanation {
  const time = (mono: number) => (clock.timeOf ?? localTime)(clock.wallOf(mono));
  const last = v.decisions[v.decisions.length - 1];
  const head = v.since !== undefined ? `${v.state} since ${time(v.since)}` : v.state;
  const body = standing(v, last?.cause, clock.now, time);
  const e: Explanation = {
    instance: v.name,
    state: v.state,
    ...(v.since !== undefined ? { since: clock.wallOf(v.since) } : {}),
    sentence: body ? `${head}: ${body}` : head,
    wouldChange: wouldChange(v),
    decisions: v.decisions.map((d) => ({
      at: clock.wallOf(d.at),
      from: d.from,
      to: d.to,
      reason: d.cause.reason,
      rule: d.cause.rule,
      words: describeCause(d.cause),
    })),
  };
  return e;
}

function standing(v: InstanceView, last: Cause | undefined, now: number, time: (mono: number) => string): string {
  switch (v.state) {
    case "BACKUP": {
      const held = v.holds.map((h) => holdWords(h));
      return [...held, backupWords(v, now, time)].join("; ");
    }
    case "MASTER": {
      const why = last ? `${describeCause(last)}; ` : "";
      return `${why}I advertise priority ${v.priority.effective} every ${secs(v.timers.advertIntMs)}`;
    }
    case "FAULT":
      if (v.faults.length > 0) return v.faults.map(faultWords).join(", ");
      return last ? describeCause(last) : "";
    case "STOP":
      return "keel stopped this instance";
    case "INIT":
      return "not started yet";
  }
}

function backupWords(v: InstanceView, now: number, time: (mono: number) => string): string {
  const down = secs(v.timers.masterDownMs);
  const m = v.master;
  if (v.holds.some((h) => h.kind !== "switchover"))
    return m ? `${m.address} is master (priority ${m.priority})` : "no advert heard";
  if (!m) {
    const at = v.masterDownAt !== undefined ? ` at ${time(v.masterDownAt)}` : "";
    return `no advert heard yet; I become MASTER${at} if none comes (Master_Down_Interval ${down})`;
  }
  const mine = priorityWords(v.priority);
  const parts = [`${m.address} advertises priority ${m.priority} ${compare(m.priority, v.priority.effective)} ${mine}`];
  // RFC 5798 6.4.2: a backup stays on an advert of greater or equal priority, whatever the addresses
  if (m.priority === v.priority.effective) parts[0] += ", and an equal priority keeps me BACKUP";
  if (v.preempt.nopreempt) parts.push("nopreempt is set, so I will not take over while it advertises");
  else if (v.holds.length > 0) parts.push("I will not take over while it advertises");
  else if (m.priority < v.priority.effective) {
    if (v.preemptAt !== undefined && v.preemptAt > now)
      parts.push(`preempt_delay ${secs(v.preempt.delayMs)} runs until ${time(v.preemptAt)}, then I take over`);
    else if (v.preempting && v.masterDownAt !== undefined)
      parts.push(`preemption is on, so I take over at ${time(v.masterDownAt)}`);
  }
  parts.push(`I become MASTER if its adverts stop for ${down}`);
  return parts.join("; ");
}

function wouldChange(v: InstanceView): string[] {
  const out: string[] = [];
  const eff = v.priority.effective;
  if (v.state === "MASTER") {
    const tie = v.source ? ` (or ${eff} from an address above ${v.source})` : "";
    out.push(`an advert with priority above ${eff}${tie} makes me BACKUP (RFC 5798 6.4.3)`);
  }
  if (v.state === "BACKUP" && v.master && !v.holds.some((h) => h.kind !== "switchover")) {
    out.push(`${v.master.address}'s adverts stopping for ${secs(v.timers.masterDownMs)} makes me MASTER`);
    out.push(`${v.master.address} resigning (priority 0) makes me MASTER after Skew_Time ${secs(v.timers.skewMs)}`);
    if (v.master.priority >= eff && !v.preempt.nopreempt)
      out.push(
        `my priority rising above ${v.master.priority} makes me MASTER${v.preempt.delayMs > 0 ? ` after preempt_delay ${secs(v.preempt.delayMs)}` : ""}`,
      );
    if (v.master.priority < eff && v.preempt.nopreempt)
      out.push("without nopreempt (a reload), my higher priority would take over");
  }
  for (const h of v.holds)
    out.push(
      h.kind === "maintenance"
        ? "keel maintenance off lets me become MASTER again"
        : h.kind === "standby"
          ? "the switchover to another node finishing (or --release) lets me become MASTER again"
          : "keel switchover --release lets me preempt again (when my priority is higher)",
    );
  if (v.state === "FAULT")
    out.push(`every fault clearing makes me BACKUP, then MASTER if no advert comes for ${secs(v.timers.masterDownMs)}`);
  if (v.state === "BACKUP" || v.state === "MASTER") {
    for (const t of v.priority.trackers) {
      const line = trackerChange(t, v.priority);
      if (line) out.push(line);
    }
  }
  if (v.group) out.push(`sync group ${v.group}: its members move together`);
  return out;
}

/** What one tracker's next change would do: a weight-0 one faults, a weighted one moves the priority. */
function trackerChange(t: TrackerShare, p: PriorityShare): string | undefined {
  if (typeof t.status === "number" || t.status === "init") return undefined;
  const verb = t.status === "up" ? (t.kind === "script" ? "failing" : "going down") : "recovering";
  if (t.weight === 0) return t.fault ? undefined : `${t.kind} ${t.name} ${verb} puts me in FAULT`;
  if (p.base === PRIO_OWNER) return undefined;
  // a weight applies up (positive) or down (negative); reverse flips that, which leaves
  // delta 0 with the other sign: then the next change would not move it either way we know
  const total = p.base + p.trackers.reduce((n, x) => n + x.delta, 0);
  let next: number;
  if (t.delta !== 0) next = total - t.delta;
  else if ((t.status === "up" && t.weight < 0) || (t.status === "down" && t.weight > 0)) next = total + t.weight;
  else return undefined;
  return `${t.kind} ${t.name} ${verb} makes my priority ${Math.min(PRIO_OWNER - 1, Math.max(1, next))}`;
}
