/**
 * execve(2) of this process's own program with a changed environment: the way to give the
 * interactive TUI (`keel attach`) JavaScriptCore options, which JSC reads from the
 * environment once, at start-up (BUN_JSC_*). A true exec, not a child: no second process
 * stays behind holding the terminal, signals and the exit status are the TUI's own.
 * Its own dlopen at the call: no other command pays for the trampoline.
 */
import { dlopen, FFIType, ptr } from "bun:ffi";
import { check } from "./errno";

const cString = (s: string) => Buffer.from(`${s}\0`, "utf8");

/** A NULL-terminated array of char* (the buffers must stay referenced until the call). */
function cArray(items: string[], keep: Buffer[]): BigUint64Array {
  const a = new BigUint64Array(items.length + 1);
  items.forEach((s, n) => {
    const b = cString(s);
    keep.push(b);
    a[n] = BigInt(ptr(b));
  });
  return a;
}

/**
 * Replace this process with `path` run as `argv` in `env`. Returns only on failure, by
 * throwing SyscallError (the caller runs on as it is).
 */
export function reexec(path: string, argv: string[], env: Record<string, string | undefined>): never {
  const { execve } = dlopen("libc.so.6", {
    execve: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
  }).symbols;
  const keep: Buffer[] = [];
  const file = cString(path);
  const args = cArray(argv, keep);
  const envp = cArray(
    Object.entries(env)
      .filter((e): e is [string, string] => e[1] !== undefined)
      .map(([k, v]) => `${k}=${v}`),
    keep,
  );
  check("execve", execve(ptr(file), ptr(args), ptr(envp)), path);
  // check throws for -1; execve returns nothing else
  throw new Error(`execve ${path} returned`);
}
