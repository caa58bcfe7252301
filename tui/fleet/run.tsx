/**
 * Mounts the fleet screen (tui/index.ts's `runFleetTui` loads this lazily): the nodes'
 * views and events → FleetStore → FleetApp, and for a node opened with Enter a Store and
 * Source of the single-node views over that node's own connection.
 */
import { render } from "ink";
import type { Client } from "../../src/control/client";
import type { Event, Reply, Request } from "../../src/control/protocol";
import type { NodeView } from "../../src/fleet/flags";
import { initialModel } from "../model";
import { colorWanted } from "../run";
import { requestWithTimeout, Source } from "../source";
import { Store } from "../store";
import { FleetApp, type OpenedNode } from "./app";
import { initialFleet } from "./model";
import { FleetStore } from "./store";

/** The nodes as the command follows them (src/fleet/link.ts). */
export interface Followed {
  views(): NodeView[];
  stop(): void;
}

export interface FleetTuiOptions {
  /** start following the nodes: `changed` after any view changed, `event` for each event a node sends */
  follow(changed: () => void, event: (node: string, e: Event) => void): Followed;
  /** a connection to one node's control protocol (its target: unix:, ssh:, exec:) */
  connect(node: string): Promise<Client>;
  /** how a node is reached, shown by the single-node views when it does not answer */
  targetOf(node: string): string;
  // ---- for tests ----
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  color?: boolean;
  flushMs?: number;
  pollMs?: number;
  retryMs?: number;
  timeoutMs?: number;
  debug?: boolean;
}

export interface FleetHandle {
  store: FleetStore;
  done: Promise<number>;
  quit(): void;
}

export function startFleetTui(o: FleetTuiOptions): FleetHandle {
  const flushMs = o.flushMs ?? 250;
  let store: FleetStore | undefined;
  const followed = o.follow(
    () => store?.queue({ type: "nodes", views: followed.views(), at: Date.now() }),
    (node, e) => store?.queue({ type: "events", node, events: [e], at: Date.now() }),
  );
  // the first frame already lists the nodes (as not answered yet)
  store = new FleetStore(initialFleet(followed.views(), Date.now()), flushMs);
  const tick = setInterval(() => store.queue({ type: "tick", at: Date.now() }), 1000);
  const open = (node: string): OpenedNode => {
    const target = o.targetOf(node);
    const s = new Store(initialModel(target, Date.now()), flushMs);
    const source = new Source(
      {
        socketPath: target,
        connect: () => o.connect(node),
        pollMs: o.pollMs,
        retryMs: o.retryMs,
        timeoutMs: o.timeoutMs,
      },
      s,
    );
    source.start();
    return {
      store: s,
      source,
      close() {
        source.stop();
        s.stop();
      },
    };
  };
  // an operation: its own connection to the node (the same target as its link), one request, closed
  const command = async (node: string, r: Request): Promise<Reply> => {
    let c: Client;
    try {
      c = await o.connect(node);
    } catch (e) {
      return { ok: false, error: { code: "unreachable", message: `${o.targetOf(node)}: ${(e as Error).message}` } };
    }
    try {
      return await requestWithTimeout(c, r, 30_000);
    } finally {
      c.close();
    }
  };
  const stdout = o.stdout ?? process.stdout;
  const isTty = Boolean(stdout.isTTY);
  const ink = render(<FleetApp store={store} color={o.color ?? colorWanted()} open={open} command={command} />, {
    stdout,
    stdin: o.stdin ?? process.stdin,
    stderr: process.stderr,
    debug: o.debug ?? false,
    exitOnCtrlC: false,
    patchConsole: o.stdout === undefined,
    // see tui/run.tsx: a human is on this terminal even under CI
    interactive: o.debug ? undefined : isTty ? true : undefined,
    alternateScreen: isTty && !o.debug,
  });
  const done = ink.waitUntilExit().then(
    () => 0,
    () => 1,
  );
  void done.finally(() => {
    clearInterval(tick);
    followed.stop();
    store.stop();
  });
  return { store, done, quit: () => ink.unmount() };
}
