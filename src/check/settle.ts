/**
 * The end of one probe attempt, said once: the first of an answer, the deadline or the
 * abort signal wins; the timer and the abort listener go, and `close` runs, exactly once.
 * The UDP, DNS and TCP-connect probes all end this way.
 */
export interface SettleOptions<R> {
  ms: number;
  signal: AbortSignal;
  /** the result when `ms` pass first */
  timeout: () => R;
  /** the result when the signal aborts first */
  aborted: () => R;
  /** release the socket (given the result: a connect keeps a socket that succeeded) */
  close: (r: R) => void;
}

/** Returns `finish`: call it with the result; later calls (and the timer, the abort) do nothing. */
export function settleOnce<R>(resolve: (r: R) => void, o: SettleOptions<R>): (r: R) => void {
  let done = false;
  const finish = (r: R) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    o.signal.removeEventListener("abort", onAbort);
    o.close(r);
    resolve(r);
  };
  const timer = setTimeout(() => finish(o.timeout()), o.ms);
  const onAbort = () => finish(o.aborted());
  o.signal.addEventListener("abort", onAbort);
  return finish;
}
