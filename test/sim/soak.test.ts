/**
 * Random-fault soak (the driver and its invariant are in soak.ts).
 */
import { describe, expect, test } from "bun:test";
import { soak } from "./soak";

describe("soak", () => {
  test("random faults: one master per VRID whenever the segment is whole and settled", () => {
    const res = soak(20240601, 3000);
    expect(res.violations).toEqual([]);
    expect(res.faults).toBeGreaterThanOrEqual(3000);
    // the invariant was really exercised, many times over
    expect(res.settledWindows).toBeGreaterThan(200);
    expect(res.checks).toBeGreaterThan(10_000);
    for (const k of ["kill", "stop", "restart", "partition", "heal", "link", "loss", "repair", "one-way"])
      expect(res.kinds[k] ?? 0).toBeGreaterThan(20);
  });

  test("other seeds", () => {
    for (const seed of [1, 2, 3]) {
      const res = soak(seed, 500);
      expect({ seed, violations: res.violations }).toEqual({ seed, violations: [] });
      expect(res.settledWindows).toBeGreaterThan(20);
    }
  });

  test("the same seed gives the same run", () => {
    const x = soak(7, 200);
    const y = soak(7, 200);
    expect(y).toEqual(x);
  });
});
