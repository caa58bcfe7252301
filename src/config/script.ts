/**
 * Scripts named in the configuration (notify_*, vrrp_script's `script`, MISC_CHECK's
 * `misc_path`, startup/shutdown scripts, notify FIFO scripts...).
 *
 * keepalived (core/notify.c notify_script_init) re-reads such a line with quotes kept:
 * the first argument is the command, quoted when it carries parameters
 * (`notify_master "/bin/x.sh arg"`), and optional further arguments are the user and
 * group the script runs as. The command string is kept raw here: it is split into words
 * (alloc_strvec_quoted_escaped) only when the script is run.
 */
import { type Ctx, quote } from "./schema";
import type { Node } from "./tree";

export interface Script {
  /** the command line as written (without the surrounding quotes) */
  command: string;
  /** run as this user (else global script_user / keepalived_script / root) */
  user?: string;
  /** with this group (else the user's primary group) */
  group?: string;
}

/**
 * `keyword COMMAND [USER [GROUP]]`, the command at argument `argIndex`.
 * Reports a missing command or words after the group; never throws.
 */
export function parseScript(c: Ctx, n: Node, argIndex = 0): Script | undefined {
  const cmd = n.args[argIndex];
  if (!cmd || cmd.text.trim() === "") {
    c.error(cmd ?? n.keyword, "missing-argument", `'${n.keyword.text}' needs a script command`);
    return undefined;
  }
  // where the command is named: keel -t reports an insecure script at this line
  const s: Script = c.origin({ command: cmd.text }, cmd);
  const user = n.args[argIndex + 1];
  const group = n.args[argIndex + 2];
  if (user) s.user = user.text;
  if (group) s.group = group.text;
  const extra = n.args[argIndex + 3];
  if (extra)
    c.error(
      extra,
      "extra-argument",
      `'${n.keyword.text}' takes a command and optionally a user and group; quote the command if it has parameters`,
    );
  return s;
}

/**
 * `COMMAND [USER [GROUP]]` as it goes after the keyword; undefined when a hand-written
 * (TOML) script leaves out its command, so that the keyword is not written at all.
 */
export function emitScript(s: Script): string | undefined {
  if (s.command === undefined) return undefined;
  let out = quote(s.command);
  if (s.user !== undefined) out += ` ${quote(s.user)}`;
  if (s.user !== undefined && s.group !== undefined) out += ` ${quote(s.group)}`;
  return out;
}
