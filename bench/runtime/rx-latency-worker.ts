/**
 * The Worker side of bench/runtime/rx-latency.ts: blocks in poll() on the fd (off the
 * main thread), posts a message when it is readable, and waits until the main thread
 * has drained it before polling again.
 */
import { libc } from "../../native-bindings/libc";

declare const self: Worker;
const POLLIN = 1;
let fd = -1;
const pfd = new Uint8Array(8);
const v = new DataView(pfd.buffer);

function wait(): void {
  v.setInt32(0, fd, true);
  v.setInt16(4, POLLIN, true);
  v.setInt16(6, 0, true);
  for (;;) {
    const r = libc.poll(pfd, 1, 1000);
    if (r > 0) break;
  }
  self.postMessage("readable");
}

self.onmessage = (e: MessageEvent) => {
  if (typeof e.data === "number") fd = e.data;
  wait();
};
