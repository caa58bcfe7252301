// The delta stream (tui/source.ts, issue 20) against a fake daemon that answers `counters`:
// the TUI keeps the subscribe snapshot plus events, polls only the counters, and asks the
// whole status again only after an event it cannot apply alone.
import "./force-color";
import { afterEach, describe, expect, test } from "bun:test";
import type { Counters, Status } from "../../src/control/protocol";
import { sample } from "./fixtures";
import { FakeDaemon, inst, type Mounted, mount } from "./harness";

const countersOf = (st: Status): Counters => ({
  at: Date.now(),
  instances: st.instances.map((i) => [i.name, i.advertsReceived, i.advertsSent, i.errors, i.master ?? null]),
});

/** A daemon that knows `counters` (the fake answers every other unknown command with null). */
function deltaDaemon(): FakeDaemon {
  const d = new FakeDaemon(sample());
  d.replies.counters = () => ({ ok: true, result: countersOf(d.status) });
  return d;
}

let open: Mounted[] = [];
afterEach(async () => {
  for (const m of open) {
    m.tui.quit(0);
    await m.tui.done;
  }
  open = [];
});

const lineWith = (frame: string, text: string) => frame.split("\n").find((l) => l.includes(text)) ?? "";

describe("delta stream", () => {
  test("counters each poll, no status; a reload event brings the whole status once", async () => {
    const d = deltaDaemon();
    const m = await mount(d, { columns: 160, resyncMs: 600_000 });
    open.push(m);
    d.status.instances[0]!.advertsSent = 4321;
    const f = await m.waitFor((f) => lineWith(f, "vi_web").includes("0/4321"));
    expect(lineWith(f, "vi_web")).toContain("MASTER");
    expect(d.sent("counters").length).toBeGreaterThan(1);
    expect(d.sent("status")).toHaveLength(0);
    // a new instance arrives with a reload: only the whole status has it
    d.status.instances.push(inst("vi_new", "BACKUP", { vrid: 60 }));
    d.emit({ event: "reload", at: Date.now(), ok: true, applied: true, errors: [] });
    await m.waitFor("vi_new");
    expect(d.sent("status")).toHaveLength(1);
  });

  test("a daemon without counters gets the whole status each poll, as before", async () => {
    const d = new FakeDaemon(sample());
    d.replies.counters = () => ({ ok: false, error: { code: "unknown-command", message: 'unknown cmd "counters"' } });
    const m = await mount(d, { columns: 160 });
    open.push(m);
    d.status.instances[0]!.advertsSent = 4321;
    await m.waitFor((f) => lineWith(f, "vi_web").includes("0/4321"));
    expect(d.sent("status").length).toBeGreaterThan(0);
    expect(d.sent("counters")).toHaveLength(1);
  });
});
