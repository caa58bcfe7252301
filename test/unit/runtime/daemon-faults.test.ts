// The error policy on its own: what a guard does with a throw for each kind of part.
import { expect, test } from "bun:test";
import { EXIT_PROGRAM_ERROR, Faults, POLICY, type Part } from "../../../src/runtime/daemon-faults";
import { createLogger } from "../../../src/runtime/log";

function setup() {
  const lines: string[] = [];
  const fatal: Part[] = [];
  const faults = new Faults(createLogger({ write: (l) => lines.push(l.trimEnd()) }), (p) => fatal.push(p));
  return { lines, fatal, faults };
}

test("a guarded throw never escapes: logged with its stack, counted, the call returns undefined", () => {
  const { lines, fatal, faults } = setup();
  const f = faults.guard("notify", "a notification", (x: number) => {
    if (x > 1) throw new RangeError(`too big: ${x}`);
    return x * 2;
  });
  expect(f(1)).toBe(2);
  expect(f(5)).toBeUndefined();
  expect(faults.snapshot().notify).toBe(1);
  expect(fatal).toEqual([]);
  expect(lines.join("\n")).toMatch(
    /internal error in notify \(a notification\); continuing: RangeError: too big: 5\n\s+at /,
  );
});

test("every part is in the snapshot from the start, so its counter exists at 0", () => {
  const { faults } = setup();
  expect(Object.keys(faults.snapshot()).sort()).toEqual(Object.keys(POLICY).sort());
  expect(Object.values(faults.snapshot()).every((n) => n === 0)).toBe(true);
});

test("exit parts call the daemon's stop; restart parts call their restarter", () => {
  const { fatal, faults } = setup();
  let restarted = 0;
  faults.onRestart("scripts", () => restarted++);
  faults.report("scripts", "a result", new Error("x"));
  expect(restarted).toBe(1);
  expect(fatal).toEqual([]);
  faults.report("vrrp", "a packet", new Error("y"));
  expect(fatal).toEqual(["vrrp"]);
  expect(EXIT_PROGRAM_ERROR).toBe(70);
});

test("a part that cannot be restarted takes the exit policy, counted twice", () => {
  const { lines, fatal, faults } = setup();
  faults.onRestart("trackers", () => {
    throw new Error("cannot watch /etc");
  });
  faults.report("trackers", "a file change", new Error("first"));
  expect(fatal).toEqual(["trackers"]);
  expect(faults.snapshot().trackers).toBe(2);
  expect(lines.some((l) => /cannot restart trackers; stopping keel: Error: cannot watch \/etc/.test(l))).toBe(true);
});

test("process handlers: an emitted uncaught exception or rejection is the process part's, removed again", () => {
  const { fatal, faults } = setup();
  const before = process.listenerCount("unhandledRejection");
  faults.installProcessHandlers();
  process.emit("uncaughtException", new Error("stray"));
  process.emit("unhandledRejection", new Error("lost promise"), Promise.resolve());
  expect(faults.snapshot().process).toBe(2);
  expect(fatal).toEqual(["process", "process"]);
  faults.removeProcessHandlers();
  expect(process.listenerCount("unhandledRejection")).toBe(before);
  expect(process.listenerCount("uncaughtException")).toBe(0);
});
