import { describe, expect, test } from "bun:test";
import { read } from "bun:ffi";
import { lazyLibc } from "../../../native-bindings/libc";

const EBADF = 9;

describe("libc's lazy symbol table", () => {
  test("errno of a call survives the binding of the symbols used after it", () => {
    // a fresh table: nothing in it is bound yet, so close() is its first symbol; errno is
    // read through the same table, whose accessor must have been bound before close ran
    // (binding it afterwards runs dlopen and TinyCC, which overwrite errno)
    const t = lazyLibc();
    expect(t.close(-1)).toBe(-1);
    const p = t.__errno_location();
    expect(p).not.toBeNull();
    expect(read.i32(p as NonNullable<typeof p>, 0)).toBe(EBADF);
  });

  test("a symbol is bound once and stays a plain property", () => {
    const t = lazyLibc();
    expect(Object.getOwnPropertyDescriptor(t, "getpid")?.get).toBeDefined();
    const pid = t.getpid();
    expect(pid).toBe(process.pid);
    const d = Object.getOwnPropertyDescriptor(t, "getpid");
    expect(d?.get).toBeUndefined();
    expect(d?.value).toBe(t.getpid);
  });
});

describe("symbols through the one syscall trampoline", () => {
  test("pipe2, fcntl, read and close answer as their own bindings: ssize_t as a BigInt, −1 and errno", () => {
    const t = lazyLibc();
    const fds = new Int32Array(2);
    expect(t.pipe2(fds, 0o4000 /* O_NONBLOCK */)).toBe(0);
    expect((t.fcntl(fds[0] as number, 3 /* F_GETFL */, 0) & 0o4000) !== 0).toBe(true);
    const buf = new Uint8Array(4);
    // nothing written yet: EAGAIN (11), as read(2) through glibc's own wrapper says
    expect(t.read(fds[0] as number, buf, 4n)).toBe(-1n);
    const p = t.__errno_location();
    expect(read.i32(p as NonNullable<typeof p>, 0)).toBe(11);
    expect(t.close(fds[1] as number)).toBe(0);
    expect(t.read(fds[0] as number, buf, 4n)).toBe(0n); // writer closed: end of file
    expect(t.close(fds[0] as number)).toBe(0);
    expect(t.gettid()).toBe(process.pid); // the main thread
  });
});
