/**
 * One fuzz target in a worker thread, for test/fuzz/campaign.ts. Before each input it copies
 * the bytes into shared memory and bumps a counter, so when the decoder never returns the
 * main thread still has the input that hung it.
 */
import fc from "fast-check";
import { check } from "../unit/fuzz/harness";
import { TARGETS } from "../unit/fuzz/targets";

declare const self: Worker;

export interface Job {
  target: string;
  seed: number;
  seconds: number;
  /** Int32Array view: [0] inputs started, [1] length of the current input */
  ctrl: SharedArrayBuffer;
  /** the current input's bytes (cut to this size: the length says how much was cut) */
  data: SharedArrayBuffer;
}

export type Outcome =
  | { failed: false; runs: number; reached: [string, number][] }
  | { failed: true; runs: number; error: string; input: Uint8Array; seed: number; path: string };

self.onmessage = (e: MessageEvent<Job>) => {
  const job = e.data;
  const t = TARGETS.find((x) => x.name === job.target);
  if (!t) throw new Error(`no target ${job.target}`);
  const ctrl = new Int32Array(job.ctrl);
  const data = new Uint8Array(job.data);
  t.reached.clear();
  const d = fc.check(
    fc.property(t.inputs(), (input) => {
      data.set(input.subarray(0, data.length));
      Atomics.store(ctrl, 1, input.length);
      Atomics.add(ctrl, 0, 1);
      check(t, input);
    }),
    {
      seed: job.seed,
      numRuns: Number.MAX_SAFE_INTEGER,
      interruptAfterTimeLimit: job.seconds * 1000,
      markInterruptAsFailure: false,
    },
  );
  const out: Outcome = d.failed
    ? {
        failed: true,
        runs: d.numRuns,
        error: d.errorInstance instanceof Error ? d.errorInstance.message : String(d.errorInstance),
        input: d.counterexample?.[0] ?? new Uint8Array(0),
        seed: d.seed,
        path: d.counterexamplePath ?? "",
      }
    : { failed: false, runs: d.numRuns, reached: [...t.reached] };
  self.postMessage(out);
};
