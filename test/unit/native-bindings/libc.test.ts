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
