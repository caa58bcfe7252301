// The executable's mappings the daemon gives back after its start (src/runtime/text-release.ts):
// only the executable's, only read-only ones, only those with no page the process wrote.
import { expect, test } from "bun:test";
import { releasableRanges, releaseRanges } from "../../../src/runtime/text-release";

const EXE = "/usr/sbin/keel";
const map = (range: string, perms: string, path: string, anonKb: number) =>
  `${range} ${perms} 00000000 08:01 1234                       ${path}\nSize:               8 kB\nRss:                8 kB\nAnonymous:       ${anonKb} kB\nReferenced:         8 kB\n`;

const SMAPS = [
  map("55d0a0000000-55d0a1000000", "r--p", EXE, 0),
  map("55d0a1000000-55d0a6000000", "r-xp", EXE, 0),
  // rodata the loader relocated: private copies exist nowhere else
  map("55d0a6000000-55d0a6100000", "r--p", EXE, 112),
  map("55d0a6100000-55d0a6200000", "rw-p", EXE, 0),
  map("7f0000000000-7f0000100000", "r-xp", "/usr/lib/x86_64-linux-gnu/libc.so.6", 0),
  map("7f0000100000-7f0000200000", "rw-p", "", 1024),
  // the executable replaced on disk: its new file is not this mapping's
  map("7f0000200000-7f0000300000", "r-xp", `${EXE} (deleted)`, 0),
].join("");

test("only the executable's read-only mappings with no anonymous page", () => {
  expect(releasableRanges(SMAPS, EXE)).toEqual([
    { start: 0x55d0a0000000, end: 0x55d0a1000000 },
    { start: 0x55d0a1000000, end: 0x55d0a6000000 },
  ]);
  expect(releasableRanges(SMAPS, "/usr/sbin/other")).toEqual([]);
});

test("releaseRanges gives each range back and stops at the first errno", () => {
  const calls: [number, number][] = [];
  const ranges = releasableRanges(SMAPS, EXE);
  expect(
    releaseRanges(ranges, (s, l) => {
      calls.push([s, l]);
      return 0;
    }),
  ).toEqual({ bytes: 0x6000000 });
  expect(calls).toEqual([
    [0x55d0a0000000, 0x1000000],
    [0x55d0a1000000, 0x5000000],
  ]);
  expect(releaseRanges(ranges, (s) => (s === 0x55d0a1000000 ? 22 : 0))).toEqual({ bytes: 0x1000000, error: 22 });
});

test("this process's own executable: the pages go and the process runs on", async () => {
  const { dropPages } = await import("../../../native-bindings/madvise");
  const { readFileSync, realpathSync } = await import("node:fs");
  const exe = realpathSync("/proc/self/exe");
  const rssKb = () => {
    let kb = 0;
    let ours = false;
    for (const line of readFileSync("/proc/self/smaps", "utf8").split("\n")) {
      if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) ours = line.endsWith(exe) && !/^\S+ .w/.test(line);
      const m = /^Rss:\s+(\d+) kB/.exec(line);
      if (m && ours) kb += Number(m[1]);
    }
    return kb;
  };
  const ranges = releasableRanges(readFileSync("/proc/self/smaps", "utf8"), exe);
  expect(ranges.length).toBeGreaterThan(0);
  const before = rssKb();
  expect(releaseRanges(ranges, dropPages).error).toBeUndefined();
  // what runs faults back in at once; far from all of it
  expect(rssKb()).toBeLessThan(before / 2);
});
