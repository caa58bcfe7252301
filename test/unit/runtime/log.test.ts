import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { createLogger, ctime } from "../../../src/runtime/log";

// --log-format json promised pino's record shape (README): the own logger must write the
// same line pino wrote with the options keel gave it, field for field and in order.
test("JSON lines are the records pino wrote with keel's options", () => {
  const theirs: string[] = [];
  const ours: string[] = [];
  const p = pino(
    {
      level: "debug",
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.epochTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    { write: (s: string) => theirs.push(s) },
  );
  const k = createLogger({ format: "json", detail: true, write: (s) => ours.push(s) });
  for (const l of [p, k]) {
    l.info('a "quoted" é\nsecond line \\ and a tab\t');
    l.error({ event: "kernel-error", op: "add", code: 17, gone: undefined }, "(VI_1) cannot add");
    l.warn({ instance: "VI_1", nested: { a: [1, "x"] } }, "w");
    l.debug("detail");
    l.trace("below debug: never written");
  }
  const noTime = (s: string) => s.replace(/"time":\d+/, '"time":0');
  expect(ours.map(noTime)).toEqual(theirs.map(noTime));
  expect(ours).toHaveLength(4);
});

test("console lines: ctime prefix, message; debug only with -D", () => {
  const lines: string[] = [];
  const before = Date.now();
  const log = createLogger({ write: (s) => lines.push(s) });
  log.debug("hidden");
  log.info({ event: "x" }, "(VI_1) Entering MASTER STATE");
  expect(lines).toHaveLength(1);
  const [prefix, msg] = lines[0]!.split(": ");
  expect(msg).toBe("(VI_1) Entering MASTER STATE\n");
  // the line's second, or the next one if the clock ticked over meanwhile
  expect([ctime(before), ctime(before + 1000)]).toContain(prefix!);
  const detailed: string[] = [];
  createLogger({ detail: true, write: (s) => detailed.push(s) }).debug("shown");
  expect(detailed[0]).toEndWith(": shown\n");
});

test("-g FILE gets the same lines; syslog gets RFC 3164 frames with the level's severity", () => {
  const dir = mkdtempSync(join(tmpdir(), "keel-log-"));
  try {
    const file = join(dir, "keel.log");
    const frames: string[] = [];
    const log = createLogger({ write: false, file, syslog: { facility: 16, send: (d) => frames.push(d) } });
    log.error("bad");
    log.info("good");
    expect(
      readFileSync(file, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => l.split(": ")[1]),
    ).toEqual(["bad", "good"]);
    // local0 (16) * 8 + err (3) = 131, + info (6) = 134
    expect(frames.map((f) => f.slice(0, 5))).toEqual(["<131>", "<134>"]);
    expect(frames[0]).toEndWith(`keel[${process.pid}]: bad`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
