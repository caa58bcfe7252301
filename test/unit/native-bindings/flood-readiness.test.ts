// readiness.ts under a flood: a watcher that does a bounded amount of work and says
// "more is queued" is called again on a later turn of the event loop while its fd has
// data, and timers run in between (a VRRP socket under a flood never reaches EAGAIN: draining to EAGAIN in
// one call starved every timer of the daemon). A pipe stands in for the socket.
import { expect, test } from "bun:test";
import { writeSync } from "node:fs";
import { check } from "../../../native-bindings/errno";
import { libc } from "../../../native-bindings/libc";
import { watchReadable } from "../../../native-bindings/readiness";

const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;

function pipe(): [number, number] {
  const fds = new Int32Array(2);
  check("pipe2", libc.pipe2(fds, O_NONBLOCK | O_CLOEXEC));
  return [fds[0]!, fds[1]!];
}

/** Fills the pipe to its capacity (64 KiB by default): how many bytes are queued. */
function fill(w: number): number {
  const chunk = new Uint8Array(4096);
  let queued = 0;
  for (;;) {
    try {
      queued += writeSync(w, chunk);
    } catch (e) {
      if ((e as { code?: string }).code === "EAGAIN") return queued;
      throw e;
    }
  }
}

test("an endless source read one byte a turn: the watcher is called again, and a timer gets its turn", async () => {
  const [r, w] = pipe();
  // the source is a full pipe, written before the watch (no SIGIO then) and never again:
  // only the watcher's "more" and epoll's level-triggered answer bring it back. (The
  // first form refilled the pipe when a read found it empty, but its watcher said "more"
  // after taking the last byte: epoll rightly named no fd, nothing refilled it, and it
  // stalled whenever 64 turns took less than the timer's 1 ms: under Bun 1.4.5, or with
  // a warm JIT under 1.3.14.)
  const queued = fill(w);
  let fired = false;
  let dry = false;
  let turns = 0;
  let stop = () => {};
  const done = new Promise<void>((resolve) => {
    setTimeout(() => {
      fired = true;
    }, 0);
    const one = new Uint8Array(1);
    stop = watchReadable(r, () => {
      turns++;
      if (fired) {
        resolve();
        return false;
      }
      if (Number(libc.read(r, one, 1)) !== 1) {
        // every byte read one a turn and the timer never ran: timers were starved
        dry = true;
        resolve();
        return false;
      }
      return true;
    });
  });
  // a stalled watcher never resolves: fail by a bound far above any machine's pace
  const stalled = new Promise<"stalled">((resolve) => setTimeout(() => resolve("stalled"), 20_000).unref());
  const outcome = await Promise.race([done.then(() => "done" as const), stalled]);
  // on a stall, what stopped: the timer (fired) or the watcher (turns); dry: the timer
  // did not run in as many turns as the pipe held bytes
  expect({ outcome, fired, dry, turns: turns > 1 ? "some" : turns }).toEqual({
    outcome: "done",
    fired: true,
    dry: false,
    turns: "some",
  });
  stop();
  libc.close(r);
  libc.close(w);
  // the timer ran while the source still had data
  expect(turns).toBeLessThan(queued);
}, 30_000);

test('"more" said with nothing queued: no call until data comes (a SIGIO), then one', async () => {
  const [r, w] = pipe();
  let calls = 0;
  const buf = new Uint8Array(64);
  const stop = watchReadable(r, () => {
    calls++;
    while (Number(libc.read(r, buf, buf.length)) > 0);
    // drained, yet says "more" (as a socket's bounded read does when it stops at its
    // bound with the queue just emptied): epoll names no fd, so no call and no busy loop
    return true;
  });
  await until("the first call", () => calls === 1);
  // the wake-up "more" asked for finds nothing ready: the passes after it call nothing
  for (let i = 0; i < 5; i++) await nextPass();
  expect(calls).toBe(1);
  // new data raises SIGIO (O_ASYNC): the watcher is called again
  writeSync(w, new Uint8Array(1));
  await until("the call for the byte written", () => calls === 2);
  stop();
  libc.close(r);
  libc.close(w);
});

/** Resolves on the pass of the event loop after the wake-ups already scheduled (setImmediate runs in order). */
const nextPass = () => new Promise((resolve) => setImmediate(resolve));

async function until(what: string, cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await nextPass();
  }
}

test("a burst of SIGIOs before the loop gets to them: one turn per ready watcher, not one per signal", async () => {
  const [r, w] = pipe();
  let calls = 0;
  const stop = watchReadable(r, () => {
    calls++;
    return false; // reads nothing: the pipe stays readable
  });
  await until("the first call", () => calls === 1); // the call watchReadable makes at once
  writeSync(w, new Uint8Array(1));
  await until("the call for the byte written", () => calls === 2);
  // 100 signals delivered while the loop was busy elsewhere: the handler runs 100 times
  for (let i = 0; i < 100; i++) process.emit("SIGIO" as never);
  await nextPass();
  await nextPass();
  expect(calls).toBe(3);
  stop();
  libc.close(r);
  libc.close(w);
});

test("a wake-up calls only the watchers whose fd is ready (epoll), not every watcher", async () => {
  const [r1, w1] = pipe();
  const [r2, w2] = pipe();
  let busy = 0;
  let idle = 0;
  const one = new Uint8Array(1);
  const stop1 = watchReadable(r1, () => {
    busy++;
    while (Number(libc.read(r1, one, 1)) === 1);
  });
  const stop2 = watchReadable(r2, () => {
    idle++;
  });
  await until("the first calls", () => busy === 1 && idle === 1);
  for (let i = 0; i < 5; i++) {
    writeSync(w1, new Uint8Array(1));
    await until(`the call for byte ${i + 1}`, () => busy === i + 2);
  }
  expect(idle).toBe(1);
  // a stopped watcher is not called however ready its fd is
  stop2();
  writeSync(w2, new Uint8Array(1));
  writeSync(w1, new Uint8Array(1));
  await until("the call for the last byte", () => busy === 7);
  expect(idle).toBe(1);
  stop1();
  for (const fd of [r1, w1, r2, w2]) libc.close(fd);
});
