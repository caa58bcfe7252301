// The instance's timer table: one "not armed" value, the earliest deadline, and timers
// due together fire in the table's order (GARPs before a state change).
import { expect, test } from "bun:test";
import { NOT_ARMED, TimerTable } from "../../../src/vrrp/timer-table";

test("next is the earliest armed deadline; expire returns the due ones in table order and disarms them", () => {
  const t = new TimerTable(["garp", "masterDown", "advert"] as const);
  expect(t.next()).toBe(NOT_ARMED);
  t.set("advert", 300);
  t.set("masterDown", 100);
  t.set("garp", 100);
  expect(t.next()).toBe(100);
  expect(t.expire(99)).toEqual([]);
  expect(t.expire(100)).toEqual(["garp", "masterDown"]);
  expect(t.get("garp")).toBe(NOT_ARMED);
  expect(t.next()).toBe(300);
  t.stop("advert");
  expect(t.next()).toBe(NOT_ARMED);
});

test("expireMask is expire as bits (bit i: kinds[i] was due), and disarms the same timers", () => {
  const t = new TimerTable(["garp", "masterDown", "advert"] as const);
  t.set("advert", 100);
  t.set("garp", 50);
  t.set("masterDown", 200);
  expect(t.expireMask(49)).toBe(0);
  const due = t.expireMask(100);
  expect(due).toBe(0b101);
  expect([0, 1, 2].filter((i) => due & (1 << i)).map((i) => t.kind(i))).toEqual(["garp", "advert"]);
  expect(t.get("garp")).toBe(NOT_ARMED);
  expect(t.get("advert")).toBe(NOT_ARMED);
  expect(t.next()).toBe(200);
  expect(t.size).toBe(3);
});
