/**
 * Running configured scripts the way keepalived does (core/notify.c): the command line
 * is split into words (alloc_strvec_quoted_escaped: whitespace separates, '…' and "…"
 * group, a backslash escapes the next character) and executed directly, with no shell;
 * each script gets its own process group, so a timeout can end it and its children.
 */
import { splitCommand } from "../base/command";
import type { RunOptions, RunResult } from "../check/run-script";
import type { GlobalDefs } from "../config/global/model";
import type { Script } from "../config/script";
import { join, normalize } from "node:path";
// libc, not node:fs: a daemon looks up its script users and programs before its first advert (DESIGN.md rule 6)
import { fileExists, readTextFile, realPath } from "../../native-bindings/file";

export { splitCommand };

/**
 * node:child_process when the first script runs, not when the daemon loads this file: it
 * cost every start ~12 ms of CPU before the first advert (issue 20), and a daemon without
 * a startup or notify script runs none before it. `require`: no await in runScript's
 * synchronous start.
 */
let childProcess: typeof import("node:child_process") | undefined;
function spawn(...args: Parameters<typeof import("node:child_process").spawn>) {
  if (!childProcess) childProcess = require("node:child_process") as typeof import("node:child_process");
  return childProcess.spawn(...args);
}

/** The program a command runs: the first word, searched in PATH when it has no '/'. */
export function scriptPath(command: string): string | undefined {
  const prog = splitCommand(command)[0];
  if (!prog) return undefined;
  if (prog.includes("/")) return prog;
  for (const dir of (process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin").split(":"))
    if (dir && fileExists(join(dir, prog))) return join(dir, prog);
  return undefined;
}

/**
 * The path a script's program is executed by (keepalived lib/notify.c
 * check_script_secure, then execve(script->path ?: args[0])): found in PATH when it
 * has no '/', then by default its real path (symbolic links, `/./` and `/../`
 * resolved: keepalived 2.2.7 replaces args[0] with it, 2.4 executes script->path),
 * or with use_symlink_paths (keepalived 2.4) the path as written with `//`, `/./` and
 * `/../` removed (clean_path). A shell script's $0 is this path. One that is not there
 * stays as written: the exec fails and says so.
 */
export function programPath(word: string, keepSymlinks: boolean): string {
  const found = word.includes("/") ? word : scriptPath(word);
  if (found === undefined) return word;
  if (keepSymlinks) return normalize(found);
  try {
    return realPath(found);
  } catch {
    return word;
  }
}

/** uid/gid of a user (and group) from /etc/passwd and /etc/group; undefined if unknown. */
export function lookupIds(user: string, group?: string): { uid: number; gid: number } | undefined {
  const field = (file: string, name: string) => {
    try {
      return readTextFile(file)
        .split("\n")
        .map((l) => l.split(":"))
        .find((f) => f[0] === name);
    } catch {
      return undefined;
    }
  };
  const pw = /^\d+$/.test(user) ? undefined : field("/etc/passwd", user);
  const uid = /^\d+$/.test(user) ? Number(user) : pw ? Number(pw[2]) : undefined;
  if (uid === undefined) return undefined;
  let gid = pw ? Number(pw[3]) : uid;
  if (group !== undefined) {
    const g = group.replace(/^:/, "");
    const gr = /^\d+$/.test(g) ? undefined : field("/etc/group", g);
    if (/^\d+$/.test(g)) gid = Number(g);
    else if (gr) gid = Number(gr[2]);
    else return undefined;
  }
  return { uid, gid };
}

// the script runner's contract is stated once, where the checkers (below the runtime) see it
export type { RunOptions, RunResult };

/**
 * setpriv's words to run as `ids` (keepalived set_script_env: setgid, setgroups, setuid).
 * The supplementary groups are the group alone (keepalived 2.2.7's setgroups(1, &gid)),
 * or with set_supplementary_groups the user's own (getgrouplist: setpriv --init-groups;
 * a user given as a number has no name to look them up by, and keeps the group alone).
 */
export function privilegeWords(
  ids: { uid: number; gid: number },
  who: { user: string } | undefined,
  supplementary: boolean,
): string[] {
  const named = who !== undefined && !/^\d+$/.test(who.user);
  const groups = supplementary && named ? "--init-groups" : `--groups=${ids.gid}`;
  return ["setpriv", `--reuid=${ids.uid}`, `--regid=${ids.gid}`, groups, "--"];
}

/** The run options every script takes from global_defs: script_user, set_supplementary_groups and use_symlink_paths. */
export function scriptUserOptions(
  g: GlobalDefs,
): Pick<RunOptions, "defaultUser" | "supplementaryGroups" | "keepSymlinks"> {
  const su = g.scriptUser;
  return {
    defaultUser: su ? { user: su.user, group: su.group } : undefined,
    supplementaryGroups: g.setSupplementaryGroups,
    keepSymlinks: g.useSymlinkPaths,
  };
}

/**
 * Run a script; resolves when it has exited. On timeout: SIGTERM to its process group,
 * SIGKILL two seconds later (keepalived's script timeout handling).
 */
export function runScript(script: Script, o: RunOptions = {}): Promise<RunResult> {
  let words = [...splitCommand(script.command), ...(o.args ?? [])];
  if (words.length > 0) words[0] = programPath(words[0]!, o.keepSymlinks === true);
  const start = performance.now();
  const who = script.user !== undefined ? { user: script.user, group: script.group } : o.defaultUser;
  const ids = who && process.getuid?.() === 0 ? lookupIds(who.user, who.group) : undefined;
  return new Promise((resolve) => {
    if (words.length === 0) {
      resolve({ timedOut: false, ms: 0, error: "empty command" });
      return;
    }
    if (who && process.getuid?.() === 0 && !ids) {
      resolve({
        timedOut: false,
        ms: 0,
        error: `unknown user ${who.user}${who.group ? ` or group ${who.group}` : ""}`,
      });
      return;
    }
    if (ids && ids.uid !== process.getuid?.()) {
      // Bun's spawn ignores uid/gid (measured): util-linux setpriv drops to the user
      words = [...privilegeWords(ids, who, o.supplementaryGroups === true), ...words];
    }
    let timedOut = false;
    let done = false;
    const child = spawn(words[0]!, words.slice(1), {
      detached: true,
      stdio: "ignore",
      env: { ...process.env, ...o.env },
    });
    const timers: ReturnType<typeof setTimeout>[] = [];
    const killGroup = (sig: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, sig);
      } catch {
        // already gone
      }
    };
    if (o.timeoutMs !== undefined)
      timers.push(
        setTimeout(() => {
          timedOut = true;
          killGroup("SIGTERM");
          timers.push(setTimeout(() => killGroup("SIGKILL"), 2_000));
        }, o.timeoutMs),
      );
    const finish = (r: Omit<RunResult, "ms" | "timedOut">) => {
      if (done) return;
      done = true;
      for (const t of timers) clearTimeout(t);
      resolve({ ...r, timedOut, ms: performance.now() - start });
    };
    child.on("error", (e) => finish({ error: e.message }));
    child.on("exit", (code, signal) => finish({ code: code ?? undefined, signal: signal ?? undefined }));
  });
}
