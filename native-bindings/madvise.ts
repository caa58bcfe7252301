/**
 * madvise(2) for the daemon's release of its executable's start-only pages
 * (src/runtime/text-release.ts): MADV_DONTNEED on a private file mapping drops the
 * process's page-table entries; the pages stay in the page cache, and one touched again is
 * mapped back by a minor fault (with the kernel's fault-around: 64 kB at a time).
 */
import { errno } from "./errno";
import { libc } from "./libc";

/** <linux/mman.h> (asm-generic, the same on x86-64 and aarch64) */
const MADV_DONTNEED = 4;

/** MADV_DONTNEED on [start, start + length): 0, or the errno. */
export function dropPages(start: number, length: number): number {
  return libc.madvise(start, length, MADV_DONTNEED) === 0 ? 0 : errno();
}
