/**
 * The daemon's lines to syslog (/dev/log), none lost to a slow reader.
 *
 * keepalived logs through glibc's syslog(3), whose send() blocks while the reader's queue
 * is full: an AF_UNIX datagram socket holds net.unix.max_dgram_qlen datagrams (10 unless
 * a sysctl raises it), and a start with -D writes more than that in a millisecond. keel's
 * loop must never block (DESIGN.md "Kernel I/O"), and its sender is non-blocking: a line
 * refused with EAGAIN used to be dropped, so syslog lost the lines after the first ten
 * of a burst ("Entering MASTER STATE" among them) whenever its reader was a moment late.
 * Now such a line waits here, in order, and the queue is offered again from a timer as the
 * reader takes some. Any other error (no syslogd: ECONNREFUSED, ENOENT) drops the line, as
 * before: the console and the log file still have it.
 *
 * Bounded: past `max` lines the newest are counted instead, and once the queue drains one
 * line says how many syslog never got.
 */
import { SyscallError } from "../../native-bindings/errno";

const EAGAIN = 11;

export interface SyslogOut {
  send(datagram: string): void;
  /** lines waiting for the reader */
  readonly queued: number;
  /** lines given up (the queue was full) since the last notice */
  readonly lost: number;
}

export function queuedSyslog(
  send: (datagram: string) => void,
  o: { max?: number; retryMs?: number; notice?: (lost: number) => string } = {},
): SyslogOut {
  const max = o.max ?? 4096;
  const retryMs = o.retryMs ?? 10;
  const notice = o.notice ?? ((n: number) => `${n} log line(s) were not sent to syslog: its socket stayed full`);
  const queue: string[] = [];
  let head = 0;
  let lost = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  /** true when the datagram went out or can never go (dropped); false on EAGAIN */
  const offer = (d: string): boolean => {
    try {
      send(d);
      return true;
    } catch (e) {
      return !(e instanceof SyscallError && e.errno === EAGAIN);
    }
  };

  const flush = (): void => {
    timer = undefined;
    while (head < queue.length) {
      if (!offer(queue[head] as string)) break;
      head++;
    }
    if (head === queue.length) {
      queue.length = 0;
      head = 0;
      if (lost > 0) {
        const n = lost;
        lost = 0;
        // the notice is a line like the others: it queues if the reader is slow again
        out.send(notice(n));
      }
    } else schedule();
  };

  const schedule = (): void => {
    if (timer !== undefined) return;
    timer = setTimeout(flush, retryMs);
    // a syslogd that never reads again must not keep the process from exiting
    timer.unref();
  };

  // at exit, what the reader has room for goes (the rest cannot wait for a timer)
  process.once("exit", () => {
    while (head < queue.length && offer(queue[head] as string)) head++;
  });

  const out: SyslogOut = {
    send(d) {
      // behind lines already waiting: syslog keeps the daemon's order
      if (head === queue.length && offer(d)) return;
      if (queue.length - head >= max) lost++;
      else queue.push(d);
      schedule();
    },
    get queued() {
      return queue.length - head;
    },
    get lost() {
      return lost;
    },
  };
  return out;
}
