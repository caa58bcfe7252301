/**
 * The demo's last line of defence: whatever a demo made (namespaces, processes, files)
 * is removed when the process ends, also on Ctrl-C (SIGINT), SIGTERM, SIGHUP (the
 * terminal went away) and any other exit. Each demo registers one synchronous cleanup
 * here while it runs and unregisters it in close().
 *
 * On a signal the cleanups run first; then, when nobody else listens for that signal,
 * the process exits with 128 + the signal number (a signal handler replaces the default
 * action, so without this the process would not stop). With other listeners (the TUI),
 * they decide when to exit; the cleanups have run either way.
 */

type Cleanup = () => void;

const cleanups = new Set<Cleanup>();
const SIGNALS: [NodeJS.Signals, number][] = [
  ["SIGINT", 2],
  ["SIGTERM", 15],
  ["SIGHUP", 1],
];
const handlers = new Map<NodeJS.Signals, () => void>();
let installed = false;

function runAll(): void {
  for (const c of [...cleanups]) {
    cleanups.delete(c);
    try {
      c();
    } catch {
      // best effort: the next cleanup still runs
    }
  }
}

const onExit = () => runAll();

function install(): void {
  if (installed) return;
  installed = true;
  process.on("exit", onExit);
  for (const [sig, n] of SIGNALS) {
    const h = () => {
      runAll();
      uninstall();
      if (process.listenerCount(sig) === 0) process.exit(128 + n);
    };
    handlers.set(sig, h);
    process.on(sig, h);
  }
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.off("exit", onExit);
  for (const [sig, h] of handlers) process.off(sig, h);
  handlers.clear();
}

/** Run `fn` (synchronously) if the process ends before the returned function is called. */
export function onProcessEnd(fn: Cleanup): () => void {
  cleanups.add(fn);
  install();
  return () => {
    cleanups.delete(fn);
    if (cleanups.size === 0) uninstall();
  };
}

/** For tests: how many cleanups are registered. */
export function pendingCleanups(): number {
  return cleanups.size;
}
