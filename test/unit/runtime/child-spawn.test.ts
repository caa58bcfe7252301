/**
 * child_wait_time: a child asked to stop gets that long, then keepalived's line and
 * SIGKILL (core/main.c sigend); one that leaves in time is not killed nor mentioned.
 */
import { expect, test } from "bun:test";
import { stopChild } from "../../../src/runtime/child-spawn";
import { createLogger } from "../../../src/runtime/log";

function logger() {
  const lines: string[] = [];
  return { lines, log: createLogger({ write: (l) => lines.push(l) }) };
}

test("a child that ignores the request is killed after child_wait_time, with keepalived's line", async () => {
  const { lines, log } = logger();
  // the request reaches nobody: a stuck child that never reads its stop message
  const child = Bun.spawn(["sleep", "30"]);
  let asked = false;
  await stopChild(child, () => (asked = true), 0.3, "checker", log);
  expect(asked).toBe(true);
  expect(child.signalCode).toBe("SIGKILL");
  expect(lines.filter((l) => l.includes("checker process failed to die - forcing termination"))).toHaveLength(1);
});

test("a child that stops when asked is neither killed nor mentioned", async () => {
  const { lines, log } = logger();
  const child = Bun.spawn(["sleep", "30"]);
  await stopChild(child, () => child.kill("SIGTERM"), 30, "bfd", log);
  expect(child.signalCode).toBe("SIGTERM");
  expect(lines.join("\n")).not.toContain("failed to die");
});
