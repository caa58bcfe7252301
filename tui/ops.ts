/**
 * Operations offered in the TUIs (issue 19): switchover, release, maintenance on/off on an
 * instance, drain / enable / weight on a real server. A key builds the request and opens a
 * confirmation line that names the action and its target and takes an optional reason; only
 * Enter (or `y` before any reason is typed) sends it, Esc cancels. The same requests as
 * `keel switchover|maintenance|rs` (src/commands/*, src/control/protocol.ts). Pure: the
 * single-node model (model.ts) and the fleet model (fleet/model.ts) hold a `PendingOp`.
 */
import type { HoldStatus, RealServerStatus, Reply, Request } from "../src/control/protocol";

export interface PendingOp {
  /** what the confirmation line names: "switchover VI_1 (hand MASTER over to a backup)" */
  label: string;
  request: Request;
  reason: string;
  /** rs weight: the weight is typed first, then the reason */
  step: "weight" | "reason";
  weight: string;
}

/** The instance keys, in the help's order. */
export const INSTANCE_OP_KEYS: [string, string][] = [
  ["s", "switchover: the MASTER hands over to a backup (and holds back)"],
  ["S", "release the switchover hold"],
  ["m", "maintenance on: this node stays BACKUP for the instance"],
  ["M", "maintenance off"],
];

/** The real-server keys (Virtual servers view). */
export const RS_OP_KEYS: [string, string][] = [
  ["d", "drain the real server (IPVS weight 0)"],
  ["e", "enable it again (the configured weight)"],
  ["w", "set its IPVS weight"],
];

const pending = (label: string, request: Request, step: PendingOp["step"] = "reason"): PendingOp => ({
  label,
  request,
  reason: "",
  step,
  weight: "",
});

/** An instance key → the operation to confirm (undefined: not an instance key). */
export function instanceOp(key: string, instance: string): PendingOp | undefined {
  switch (key) {
    case "s":
      return pending(`switchover ${instance} (hand MASTER over to a backup)`, { cmd: "switchover", instance });
    case "S":
      return pending(`release the switchover hold on ${instance}`, { cmd: "switchover", instance, release: true });
    case "m":
      return pending(`maintenance ON for ${instance} (stays BACKUP)`, {
        cmd: "maintenance",
        on: true,
        instances: [instance],
      });
    case "M":
      return pending(`maintenance OFF for ${instance}`, { cmd: "maintenance", on: false, instances: [instance] });
    default:
      return undefined;
  }
}

/** A real-server key → the operation to confirm (undefined: not a real-server key). */
export function rsOp(key: string, virtualServer: string, realServer: string): PendingOp | undefined {
  const at = `${realServer} of ${virtualServer}`;
  switch (key) {
    case "d":
      return pending(`drain ${at}`, { cmd: "rs", action: "drain", virtualServer, realServer });
    case "e":
      return pending(`enable ${at}`, { cmd: "rs", action: "enable", virtualServer, realServer });
    case "w":
      return pending(`weight of ${at}`, { cmd: "rs", action: "weight", virtualServer, realServer }, "weight");
    default:
      return undefined;
  }
}

export interface ConfirmKey {
  input: string;
  return?: boolean;
  escape?: boolean;
  backspace?: boolean;
  delete?: boolean;
  ctrl?: boolean;
  tab?: boolean;
}

/**
 * One key on the confirmation line: still pending (maybe edited), cancelled, or the exact
 * request to send (with the reason when one was typed).
 */
export function confirmKey(
  p: PendingOp,
  k: ConfirmKey,
): { pending: PendingOp } | { cancel: true } | { send: Request; label: string } {
  if (k.escape) return { cancel: true };
  // Keys that came in one read reach Ink as one input, a line end in it not marked as
  // Enter: a paste of "reason⏎", or a reason typed and Enter pressed on a loaded terminal
  // (the fleet's tmux test lost its Enter so, under the CI's load). The text is typed,
  // then the line end is Enter.
  if (!k.return && !k.ctrl && /[\r\n]/.test(k.input)) {
    const text = k.input.split(/[\r\n]/, 1)[0] ?? "";
    const typed = text ? confirmKey(p, { input: text }) : { pending: p };
    return "pending" in typed ? confirmKey(typed.pending, { input: "", return: true }) : typed;
  }
  const field = p.step === "weight" ? "weight" : "reason";
  if (k.backspace || k.delete) return { pending: { ...p, [field]: Array.from(p[field]).slice(0, -1).join("") } };
  if (p.step === "weight") {
    if (k.return) {
      const w = Number(p.weight);
      // IPVS weights are non-negative ints (ipvsadm -w 0..65535)
      if (p.weight === "" || !Number.isInteger(w) || w > 65535) return { pending: p };
      return { pending: { ...p, step: "reason", label: `${p.label}: ${w}`, request: { ...p.request, weight: w } } };
    }
    if (/^[0-9]+$/.test(k.input) && p.weight.length + k.input.length <= 5)
      return { pending: { ...p, weight: p.weight + k.input } };
    return { pending: p };
  }
  if (k.return || (p.reason === "" && (k.input === "y" || k.input === "Y"))) {
    const reason = p.reason.trim();
    return { send: reason ? { ...p.request, reason } : p.request, label: p.label };
  }
  if (k.ctrl || k.tab) return { pending: p };
  if (k.input && k.input >= " " && p.reason.length < 200) return { pending: { ...p, reason: p.reason + k.input } };
  return { pending: p };
}

/** The confirmation line's text. */
export function confirmText(p: PendingOp): string {
  if (p.step === "weight") return ` ${p.label}: new weight ${p.weight}_  (enter next, esc cancel)`;
  return ` ${p.label}? reason (optional): ${p.reason}_  (enter${p.reason ? "" : "/y"} send, esc cancel)`;
}

/** A reply as the footer shows it: done, or the daemon's error words. */
export function replyText(label: string, r: Reply): { text: string; error: boolean } {
  if (r.ok) return { text: `${label}: done`, error: false };
  return { text: `${label} failed: ${r.error.code}: ${r.error.message}`, error: true };
}

/** Holds in a table cell, as `keel status` and `keel fleet` write them: " (maintenance)". */
export function holdMark(holds: readonly (string | { kind: string })[] | undefined): string {
  if (!holds?.length) return "";
  return ` (${holds.map((h) => (typeof h === "string" ? h : h.kind)).join(",")})`;
}

/** One hold in words: "maintenance by root (uid 0, pid 12): kernel update". */
export function holdText(h: HoldStatus): string {
  return `${h.kind}${h.by ? ` by ${h.by}` : ""}${h.reason ? `: ${h.reason}` : ""}`;
}

/**
 * An operator's rs override in a table cell: "drained by root: why", "weight 5 by root".
 * Only the user of "root (uid 0, pid 12)": the row is narrow, `keel status` has the rest.
 */
export function operatorText(o: NonNullable<RealServerStatus["operator"]>): string {
  const who = o.by?.split(" (")[0];
  return `${o.action === "drain" ? "drained" : `weight ${o.weight}`}${who ? ` by ${who}` : ""}${o.reason ? `: ${o.reason}` : ""}`;
}
