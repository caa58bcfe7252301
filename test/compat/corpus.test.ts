/**
 * The compat layer (root; keepalived and iproute2): every config of the corpus through
 * keel -t and Debian's keepalived -t (harness.ts). keel must never refuse a config that
 * keepalived accepts, and must print a diagnostic wherever keepalived prints one.
 * `bun bench/compat/report.ts` prints the same run as a report.
 */
import { expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { KEEL, KEEPALIVED, corpusFiles, counts, report, runCorpus } from "./harness";

test("keel -t accepts what keepalived -t accepts and reports where it reports", async () => {
  expect(existsSync(KEEL)).toBe(true); // test/run.ts builds it
  expect(existsSync(KEEPALIVED)).toBe(true);
  const files = corpusFiles();
  expect(files.length).toBeGreaterThan(200);
  const outcomes = await runCorpus(files);
  console.log(report(outcomes));
  const c = counts(outcomes);
  // both programs ran on each file (a config keepalived cannot even read would show here)
  expect(c.configs).toBe(files.length);
  expect(outcomes.filter((o) => o.failure).map((o) => `${o.verdict}: ${o.file}`)).toEqual([]);
}, 600_000);
