/**
 * cpu_set_t building for *_cpu_affinity (glibc CPU_SET: bit i%8 of byte i/8, 1024 bits),
 * and the round trip through the kernel on this process's own CPUs.
 */
import { describe, expect, test } from "bun:test";
import {
  CPU_SETSIZE,
  cpuMask,
  cpusOf,
  getAffinity,
  ownScheduling,
  parseCpuList,
  setAffinity,
} from "../../../native-bindings/sched";

describe("cpu_set_t", () => {
  test("each CPU is one bit, little-endian within its byte", () => {
    const m = cpuMask([0, 3, 8, 1023]);
    expect(m.length).toBe(CPU_SETSIZE / 8);
    expect(m[0]).toBe(0b1001);
    expect(m[1]).toBe(0b1);
    expect(m[127]).toBe(0x80);
    expect(m.slice(2, 127).every((b) => b === 0)).toBe(true);
    expect(cpusOf(m)).toEqual([0, 3, 8, 1023]);
  });

  test("a CPU outside cpu_set_t is an error, not a wrapped bit", () => {
    expect(() => cpuMask([1024])).toThrow("cpu 1024 is not in 0..1023");
    expect(() => cpuMask([-1])).toThrow(RangeError);
  });

  test("Cpus_allowed_list ranges and singles; anything else is an error", () => {
    expect(parseCpuList("0-3,8,10-11\n")).toEqual([0, 1, 2, 3, 8, 10, 11]);
    expect(parseCpuList("5")).toEqual([5]);
    expect(() => parseCpuList("0-x")).toThrow("not a CPU list: '0-x'");
  });

  test("/proc's view of this thread agrees with sched_getaffinity", () => {
    expect(ownScheduling().cpus).toEqual(getAffinity());
  });

  test("sched_setaffinity/sched_getaffinity round trip; a set of absent CPUs is EINVAL", () => {
    const before = getAffinity();
    expect(before.length).toBeGreaterThan(0);
    const one = [before[before.length - 1] as number];
    try {
      setAffinity(one);
      expect(getAffinity()).toEqual(one);
      expect(() => setAffinity([1000])).toThrow(/EINVAL/);
      expect(getAffinity()).toEqual(one);
    } finally {
      setAffinity(before);
    }
    expect(getAffinity()).toEqual(before);
  });
});
