import { describe, expect, test } from "bun:test";
import { masterDownMs, minSkewMs, skewMs } from "../../../src/vrrp/timers";

// Values from keepalived's integer microsecond arithmetic (vrrp.h VRRP_TIMER_SKEW_CALC)
describe("VRRP timers", () => {
  test("v3: Skew_Time = (256 - p) * Master_Adver_Interval / 256", () => {
    expect(skewMs(3, 100, 100)).toBe(609.375);
    expect(masterDownMs(3, 100, 100)).toBe(3609.375);
    expect(skewMs(3, 50, 150)).toBe(207.031); // 207031.25 µs truncated
    expect(masterDownMs(3, 10, 100)).toBe(360.937); // advert_int 0.1 (the lab measured 361.2)
  });
  test("v2: Skew_Time = (256 - p) / 256 s, whatever the interval", () => {
    expect(skewMs(2, 100, 100)).toBe(609.375);
    expect(skewMs(2, 300, 150)).toBe(414.062);
    expect(masterDownMs(2, 300, 150)).toBe(9414.062);
  });
  test("down_timer_adverts replaces the 3", () => {
    expect(masterDownMs(3, 100, 100, 5)).toBe(5609.375);
  });
  test("the owner's skew and the minimum skew use priority 255", () => {
    expect(minSkewMs(3, 100)).toBe(3.906);
    expect(skewMs(3, 100, 255)).toBe(3.906);
  });
});
