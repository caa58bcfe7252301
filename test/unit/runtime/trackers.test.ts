/**
 * vrrp_track_file reads only the head of a regular file: a FIFO or a device named as a
 * track file must neither block the daemon's one thread nor feed it without end.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../../src/config/load";
import { createLogger } from "../../../src/runtime/log";
import { ExternalTrackers, readTrackFile } from "../../../src/runtime/trackers";
import type { TrackChange } from "../../../src/vrrp/track-board";
import { TRACK_FILE_READ_MAX } from "../../../src/vrrp/tracking";

const dir = mkdtempSync(join(tmpdir(), "keel-trackers-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fifo(name: string): string {
  const p = join(dir, name);
  expect(Bun.spawnSync(["mkfifo", p]).exitCode).toBe(0);
  return p;
}

test("a regular file: only its first TRACK_FILE_READ_MAX bytes are read", () => {
  const big = join(dir, "big");
  writeFileSync(big, `42\n${"9".repeat(1 << 20)}`);
  const head = readTrackFile(big);
  expect(head).toBeInstanceOf(Buffer);
  expect((head as Buffer).length).toBe(TRACK_FILE_READ_MAX);
  expect((head as Buffer).subarray(0, 3).toString()).toBe("42\n");
});

test("a FIFO with no writer and /dev/zero are refused, not read", () => {
  expect(readTrackFile(fifo("f1"))).toBe("not a regular file");
  expect(readTrackFile("/dev/zero")).toBe("not a regular file");
  expect(() => readTrackFile(join(dir, "missing"))).toThrow();
});

test("a track_file that is a FIFO: start() returns, counts 0, warns once across polls", async () => {
  const path = fifo("f2");
  const conf = join(dir, "keepalived.conf");
  writeFileSync(conf, `vrrp_track_file tf {\n  file ${path}\n}\n`);
  const r = loadConfig(conf);
  expect(r.diagnostics.errorCount).toBe(0);
  const lines: string[] = [];
  const log = createLogger({ write: (l) => lines.push(l) });
  const changes: TrackChange[] = [];
  const t = new ExternalTrackers(r.config, log, (c) => changes.push(c));
  t.start();
  try {
    expect(changes).toEqual([{ kind: "file", name: "tf", value: 0 }]);
    // one more poll (every second) says nothing new
    await Bun.sleep(1_200);
    expect(lines.filter((l) => l.includes("not a regular file"))).toHaveLength(1);
  } finally {
    t.stop();
  }
});
