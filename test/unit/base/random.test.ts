// src/base/random.ts: mulberry32, seeded and repeatable.
import { expect, test } from "bun:test";
import { mulberry32, mulberry32u } from "../../../src/base/random";

test("mulberry32: the same seed gives the same sequence; u32 and [0, 1) agree", () => {
  const a = mulberry32u(42);
  const b = mulberry32u(42);
  const f = mulberry32(42);
  for (let i = 0; i < 1000; i++) {
    const x = a();
    expect(b()).toBe(x);
    expect(f()).toBe(x / 4294967296);
    expect(x >= 0 && x < 2 ** 32 && Number.isInteger(x)).toBe(true);
  }
  // the published first value for seed 1: 0.6270739405881613
  expect(mulberry32(1)()).toBe(0.6270739405881613);
});
