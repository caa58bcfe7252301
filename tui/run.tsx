/**
 * Mounts the Ink app (tui/index.ts is the entry point: it picks React's production build
 * first, then loads this file).
 */
import { render } from "ink";
import { connect as realConnect } from "../src/control/client";
import { App, type ExtraKey } from "./app";
import { initialModel } from "./model";
import { type Connect, Source } from "./source";
import { Store } from "./store";

export type { ExtraKey } from "./app";

export interface TuiOptions {
  /** the daemon's control socket */
  socketPath: string;
  /** shown at the left of the header line (default "keel") */
  title?: string;
  /** one line under the header, e.g. "running /etc/keepalived/keepalived.conf in this process" */
  banner?: string;
  /** keys of the embedding program (shown in ? help) */
  extraKeys?: ExtraKey[];
  // ---- for tests and the bench ----
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  connect?: Connect;
  /** colour on/off; default: on unless NO_COLOR is set (non-empty) */
  color?: boolean;
  /** poll period (1000): counters, or the whole status from a daemon without them (tui/source.ts) */
  pollMs?: number;
  /** the whole status at least this often while counters stream (30000) */
  resyncMs?: number;
  /** coalescing period for daemon data: at most one render per this (250) */
  flushMs?: number;
  retryMs?: number;
  timeoutMs?: number;
  /** Ink debug mode: every frame written whole (tests) */
  debug?: boolean;
}

export interface TuiHandle {
  store: Store;
  source: Source;
  /** settles with the exit status when the user quits */
  done: Promise<number>;
  /** leave the TUI from the outside (the status `done` settles with) */
  quit(code?: number): void;
}

export function colorWanted(env: Record<string, string | undefined> = process.env): boolean {
  return !(env.NO_COLOR !== undefined && env.NO_COLOR !== "");
}

/** Mount the TUI and return at once (tests, the bench, embedding). */
export function startTui(opts: TuiOptions): TuiHandle {
  const store = new Store(initialModel(opts.socketPath, Date.now()), opts.flushMs ?? 250);
  const source = new Source(
    {
      socketPath: opts.socketPath,
      connect: opts.connect ?? realConnect,
      pollMs: opts.pollMs,
      resyncMs: opts.resyncMs,
      retryMs: opts.retryMs,
      timeoutMs: opts.timeoutMs,
    },
    store,
  );
  const stdout = opts.stdout ?? process.stdout;
  const isTty = Boolean(stdout.isTTY);
  const ink = render(
    <App
      store={store}
      source={source}
      title={opts.title}
      banner={opts.banner}
      extraKeys={opts.extraKeys}
      color={opts.color ?? colorWanted()}
    />,
    {
      stdout,
      stdin: opts.stdin ?? process.stdin,
      stderr: process.stderr,
      debug: opts.debug ?? false,
      exitOnCtrlC: false,
      patchConsole: opts.stdout === undefined,
      // Ink turns itself non-interactive when CI is set (only the last frame at exit):
      // a human (or the tmux e2e test under CI) is on this terminal, so force it.
      interactive: opts.debug ? undefined : isTty ? true : undefined,
      alternateScreen: isTty && !opts.debug,
    },
  );
  source.start();
  let code = 0;
  const done = ink.waitUntilExit().then(
    () => code,
    () => 1,
  );
  void done.finally(() => {
    source.stop();
    store.stop();
  });
  return {
    store,
    source,
    done,
    quit(c = 0) {
      code = c;
      ink.unmount();
    },
  };
}
