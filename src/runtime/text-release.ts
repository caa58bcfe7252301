/**
 * The executable's start-only pages given back, once, after the start (issue 20: RSS).
 *
 * keel is one Bun executable of ~80 MB of code; the start (the module loader, the
 * configuration's parser, bytecode loading, the JIT's first compilations) touches ~29 MB
 * of it, and the kernel keeps those pages mapped for the process's life. In the steady
 * state a daemon touches ~19 MB of them in five minutes (bench/RESULTS.md "Memory per
 * instance": /proc/PID/clear_refs, then smaps' Referenced). MADV_DONTNEED on the
 * executable's read-only mappings drops the rest from the process's RSS: the pages stay in
 * the page cache, and what the daemon touches again (a failover's code, a reload's parser)
 * comes back by a minor fault. Only mappings whose pages all come from the file
 * (Anonymous: 0 kB) are given back: a private page the loader wrote (relocations) exists
 * nowhere else and would be lost.
 *
 * keepalived has nothing like it: a C daemon's text is ~1 MB.
 */

/** a mapping of /proc/PID/smaps that MADV_DONTNEED can drop: [start, end) */
export interface Range {
  start: number;
  end: number;
}

/**
 * The executable's mappings that can be given back, from /proc/self/smaps' text: those of
 * `exe`, not writable, no anonymous (written) page.
 */
export function releasableRanges(smaps: string, exe: string): Range[] {
  const out: Range[] = [];
  let cur: (Range & { ok: boolean }) | undefined;
  for (const line of smaps.split("\n")) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      const [, a = "0", b = "0", perms = "", path = ""] = head;
      cur = { start: Number.parseInt(a, 16), end: Number.parseInt(b, 16), ok: path === exe && perms[1] !== "w" };
      continue;
    }
    const anon = /^Anonymous:\s+(\d+) kB/.exec(line);
    if (anon && cur?.ok && Number(anon[1]) === 0) out.push({ start: cur.start, end: cur.end });
  }
  return out;
}

/**
 * Give the ranges back through `drop` (native-bindings/madvise.ts dropPages: 0 or an
 * errno); the bytes given back and the first failure, if any.
 */
export function releaseRanges(
  ranges: Range[],
  drop: (start: number, length: number) => number,
): { bytes: number; error?: number } {
  let bytes = 0;
  for (const r of ranges) {
    const e = drop(r.start, r.end - r.start);
    if (e !== 0) return { bytes, error: e };
    bytes += r.end - r.start;
  }
  return { bytes };
}
