/**
 * The differential report (root; needs keepalived and iproute2): keel -t and keepalived -t
 * on every config of test/fixtures/compat/corpus, in one namespace, and the counts.
 *
 *   bun bench/compat/report.ts [-v] [FILE_OR_SUBSTRING...]
 *
 * -v also lists the configs keepalived refuses and keel takes (allowed: see README).
 * Exit status 1 when a config is a failure (keel refuses what keepalived takes, or is
 * silent where keepalived reports a problem); the compat test layer asserts the same.
 */
import { corpusFiles, report, runCorpus } from "../../test/compat/harness";

const args = process.argv.slice(2);
const verbose = args.includes("-v");
const filters = args.filter((a) => a !== "-v");
const files = corpusFiles().filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
const t0 = performance.now();
const outcomes = await runCorpus(files);
// Bun.write waits for the whole report to reach a pipe or file before the exit below
await Bun.write(
  Bun.stdout,
  `${report(outcomes, verbose)}\n\n${files.length} configs in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
);
process.exit(outcomes.some((o) => o.failure) ? 1 : 0);
