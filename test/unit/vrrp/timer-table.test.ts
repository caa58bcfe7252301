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
