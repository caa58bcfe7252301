/**
 * setrlimit(RLIMIT_CORE, {RLIM_INFINITY, RLIM_INFINITY}) for keepalived's -m/--core-dump
 * (core/main.c core_dump_init). Node and Bun have no setrlimit of their own.
 */
import { ptr } from "bun:ffi";
import { errno, strerror } from "./errno";
import { libc } from "./libc";

const RLIMIT_CORE = 4;
/** RLIM_INFINITY is (rlim_t)-1 on x86-64 and aarch64 */
const RLIM_INFINITY = 0xffffffffffffffffn;

/** undefined when it worked, else the reason (strerror). */
export function setCoreLimitUnlimited(): string | undefined {
  // struct rlimit { rlim_t rlim_cur; rlim_t rlim_max; }: two u64
  const rl = new BigUint64Array([RLIM_INFINITY, RLIM_INFINITY]);
  if (libc.setrlimit(RLIMIT_CORE, ptr(rl)) === 0) return undefined;
  return strerror(errno());
}
