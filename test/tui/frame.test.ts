// Frame keys (tui/frame.ts): a flush whose screen would be the same is not drawn.
import "./force-color";
import { describe, expect, test } from "bun:test";
import type { Event } from "../../src/control/protocol";
import { frameKey, sameFrame } from "../../tui/frame";
import { initialModel, type Model, reduce } from "../../tui/model";
import { Store } from "../../tui/store";
import { baseStatus, inst } from "./harness";

const AT = 1_000_000;
function many(n: number): Model {
  const st = baseStatus(
    Array.from({ length: n }, (_, k) => inst(`vi_${String(k).padStart(3, "0")}`, k % 2 ? "BACKUP" : "MASTER")),
  );
  return reduce(initialModel("/s", AT), { type: "connected", status: st, at: AT });
}
const prio = (instance: string, to: number): Event => ({ event: "priority", at: AT, instance, from: 100, to });

describe("frame keys", () => {
  test("an event on a row off screen keeps the key; one on screen, a state count or the second changes it", () => {
    const m = many(100);
    const key = (x: Model) => frameKey(x, 10);
    const off = reduce(m, { type: "events", events: [prio("vi_090", 90)], at: AT + 100 });
    expect(sameFrame(key(m), key(off))).toBe(true);
    const on = reduce(m, { type: "events", events: [prio("vi_003", 90)], at: AT + 100 });
    expect(sameFrame(key(m), key(on))).toBe(false);
    const flip: Event = { event: "transition", at: AT, instance: "vi_090", from: "MASTER", to: "BACKUP", reason: "x" };
    expect(sameFrame(key(m), key(reduce(m, { type: "events", events: [flip], at: AT + 100 })))).toBe(false);
    expect(sameFrame(key(m), key(reduce(m, { type: "tick", at: AT + 1000 })))).toBe(false);
    // the other views and modes have no key: always drawn
    expect(frameKey({ ...m, view: "timeline" }, 10)).toBeUndefined();
    expect(frameKey({ ...m, mode: "help" }, 10)).toBeUndefined();
  });

  test("the store applies a flush that draws nothing new without telling the screen", () => {
    const s = new Store(many(100), 0, () => AT + 100);
    s.setFrameKey((x) => frameKey(x, 10));
    let drawn = 0;
    s.subscribe(() => drawn++);
    // nothing is drawn before the first flush
    s.event(prio("vi_001", 80));
    s.flush();
    expect([drawn, s.skipped]).toEqual([1, 0]);
    s.event(prio("vi_090", 90));
    s.flush();
    expect([drawn, s.skipped]).toEqual([1, 1]);
    expect(s.get().status!.instances[90]!.effectivePriority).toBe(90);
    s.event(prio("vi_002", 80));
    s.flush();
    expect([drawn, s.skipped]).toEqual([2, 1]);
    s.stop();
  });
});
