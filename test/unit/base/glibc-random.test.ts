// glibc's random() (src/base/glibc-random.ts): the values every C program prints after
// srandom(1) (also random()'s sequence without srandom), and 0 seeding as 1, as glibc does.
import { expect, test } from "bun:test";
import { glibcRandom } from "../../../src/base/glibc-random";

test("srandom(1): 1804289383, 846930886, 1681692777, ...; srandom(0) is srandom(1)", () => {
  const r = glibcRandom(1);
  expect([r(), r(), r(), r(), r()]).toEqual([1804289383, 846930886, 1681692777, 1714636915, 1957747793]);
  const z = glibcRandom(0);
  expect(z()).toBe(1804289383);
});
