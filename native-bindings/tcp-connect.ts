/**
 * A TCP connection set up the way keepalived's socket_bind_connect (core/layer4.c) sets
 * it up, for the checks Bun's own connect cannot express: SO_MARK (fwmark),
 * SO_BINDTODEVICE (bind_if), and a source address/port (bindto, bind_port; Bun 1.3
 * ignores localAddress and localPort, measured). The connect is non-blocking; its
 * completion (or failure) raises SIGIO (tcp_finish_connect / sk_error_report call
 * sk_wake_async), which readiness.ts delivers, with a 50 ms poll as a safety net.
 * The connected fd is handed back with O_ASYNC cleared, for Bun to adopt
 * (`new net.Socket().connect({ fd })`, which TLS can then wrap).
 */
import { EINTR, errno, errnoName, strerror } from "./errno";
import { libc } from "./libc";
import { parseAddress } from "../src/base/ip";
import { setNonBlocking, watchReadable } from "./readiness";
import { AF_INET, AF_INET6, sockaddrIn, sockaddrIn6 } from "./structs";

const SOCK_STREAM = 1;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_ERROR = 4;
const SO_BINDTODEVICE = 25;
const SO_MARK = 36;
const EINPROGRESS = 115;
const F_GETFL = 3;
const F_SETFL = 4;
const O_ASYNC = 0o20000;
const POLLOUT = 0x4;
const POLLERR = 0x8;
const POLLHUP = 0x10;

export interface TcpConnectOptions {
  address: string;
  port: number;
  /** source address (bindto) */
  bindAddress?: string;
  /** source port (bind_port) */
  bindPort?: number;
  /** SO_BINDTODEVICE (bind_if); also the scope of an IPv6 link-local address */
  device?: string;
  /** SO_MARK */
  fwmark?: number;
  timeoutMs: number;
  signal?: AbortSignal;
}

export type TcpConnectResult =
  | { ok: true; fd: number }
  /**
   * `step`: where it failed (socket, SO_MARK, bind, connect); errno 0 for a timeout or an
   * abort; `immediate`: connect() itself failed rather than the handshake it started
   * (keepalived tells the two apart in its messages)
   */
  | { ok: false; timeout: boolean; errno: number; step: string; error: string; immediate: boolean };

const familyOf = (a: string): 4 | 6 => (a.includes(":") ? 6 : 4);

function sockaddr(family: 4 | 6, address: string, port: number, scope: number): Uint8Array | undefined {
  const a = parseAddress(family, address);
  if (!a) return undefined;
  return family === 4 ? sockaddrIn(a, port) : sockaddrIn6(a, scope, port);
}

export function connectTcp(o: TcpConnectOptions): Promise<TcpConnectResult> {
  const family = familyOf(o.address);
  const fail = (step: string, e: number, fd?: number): Promise<TcpConnectResult> => {
    if (fd !== undefined) libc.close(fd);
    return Promise.resolve({
      ok: false,
      timeout: false,
      errno: e,
      step,
      error: `${step}: ${strerror(e)} (${errnoName(e)})`,
      immediate: true,
    });
  };
  const fd = libc.socket(family === 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail("socket", errno());
  const scope = o.device ? libc.if_nametoindex(Buffer.from(`${o.device}\0`)) : 0;
  if (o.fwmark) {
    const v = Buffer.alloc(4);
    v.writeUInt32LE(o.fwmark >>> 0, 0);
    if (libc.setsockopt(fd, SOL_SOCKET, SO_MARK, v, 4) !== 0) return fail(`SO_MARK ${o.fwmark}`, errno(), fd);
  }
  if (o.device) {
    const name = Buffer.from(`${o.device}\0`);
    if (libc.setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, name.length) !== 0)
      return fail(`SO_BINDTODEVICE ${o.device}`, errno(), fd);
  }
  if (o.bindAddress !== undefined || o.bindPort !== undefined) {
    const src = sockaddr(family, o.bindAddress ?? (family === 4 ? "0.0.0.0" : "::"), o.bindPort ?? 0, scope);
    if (!src) return fail(`bind ${o.bindAddress}`, 22, fd);
    if (libc.bind(fd, src, src.length) !== 0)
      return fail(`bind ${o.bindAddress ?? "*"}:${o.bindPort ?? 0}`, errno(), fd);
  }
  const dst = sockaddr(family, o.address, o.port, scope);
  if (!dst) return fail(`connect ${o.address}`, 22, fd);
  let r: number;
  do r = libc.connect(fd, dst, dst.length);
  while (r !== 0 && errno() === EINTR);
  if (r === 0) return Promise.resolve(handOver(fd));
  const e = errno();
  if (e !== EINPROGRESS) return fail("connect", e, fd);

  return new Promise((resolve) => {
    const pfd = Buffer.alloc(8);
    const soErr = Buffer.alloc(4);
    const len = Buffer.alloc(4);
    let done = false;
    const finish = (res: TcpConnectResult) => {
      if (done) return;
      done = true;
      stop();
      clearTimeout(timer);
      clearInterval(safety);
      o.signal?.removeEventListener("abort", onAbort);
      if (!res.ok) libc.close(fd);
      resolve(res);
    };
    const check = () => {
      pfd.writeInt32LE(fd, 0);
      pfd.writeInt16LE(POLLOUT, 4);
      pfd.writeInt16LE(0, 6);
      if (libc.poll(pfd, 1, 0) <= 0) return;
      if (!(pfd.readInt16LE(6) & (POLLOUT | POLLERR | POLLHUP))) return;
      len.writeUInt32LE(4, 0);
      libc.getsockopt(fd, SOL_SOCKET, SO_ERROR, soErr, len);
      const err = soErr.readInt32LE(0);
      if (err === 0) finish(handOver(fd));
      else
        finish({
          ok: false,
          timeout: false,
          errno: err,
          step: "connect",
          error: `connect: ${strerror(err)} (${errnoName(err)})`,
          immediate: false,
        });
    };
    // a connect completes as writability (POLLOUT), which epoll reports only when asked
    const stop = watchReadable(fd, check, { writable: true });
    const safety = setInterval(check, 50);
    const timer = setTimeout(
      () =>
        finish({ ok: false, timeout: true, errno: 0, step: "connect", error: "connect: timed out", immediate: false }),
      o.timeoutMs,
    );
    const onAbort = () =>
      finish({ ok: false, timeout: false, errno: 0, step: "connect", error: "connect: aborted", immediate: false });
    o.signal?.addEventListener("abort", onAbort);
  });
}

/** Clear O_ASYNC (Bun watches the fd from now on; SIGIO would only cost wake-ups). */
function handOver(fd: number): TcpConnectResult {
  const fl = libc.fcntl(fd, F_GETFL, 0);
  if (fl >= 0) libc.fcntl(fd, F_SETFL, fl & ~O_ASYNC);
  setNonBlocking(fd);
  return { ok: true, fd };
}
