/**
 * A TCP (or TLS) connection for one check attempt, as keepalived's layer4.c makes it:
 * bound to bindto/bind_port, marked with fwmark and tied to bind_if when set,
 * connect_timeout for the connect (and the TLS handshake), the attempt's abort signal
 * honoured. Resolves with the socket or a failure in keepalived's words ("timeout" /
 * "error"); never throws, never leaks the socket.
 *
 * Bun's connect cannot bind the source or set socket options, so a check with any of
 * those connects through native-bindings/tcp-connect.ts and Bun adopts the fd.
 */
import { Socket, connect as tcpConnect } from "node:net";
import { type TLSSocket, connect as tlsConnect } from "node:tls";
import { connectTcp } from "../../native-bindings/tcp-connect";
import type { ProbeTarget } from "./probe";
import { settleOnce } from "./settle";

type TlsOptions = { servername?: string; ca?: string; cert?: string; key?: string; passphrase?: string };

const needsNative = (t: ProbeTarget): boolean =>
  t.bindto !== undefined || t.bindPort !== undefined || t.fwmark !== undefined || t.bindIf !== undefined;

export type Connected = { ok: true; sock: Socket | TLSSocket } | { ok: false; timeout: boolean; error: string };

export function connectTarget(t: ProbeTarget, signal: AbortSignal, tls?: TlsOptions): Promise<Connected> {
  return needsNative(t) ? connectNative(t, signal, tls) : connectBun(t, signal, tls);
}

async function connectNative(t: ProbeTarget, signal: AbortSignal, tls?: TlsOptions): Promise<Connected> {
  const t0 = performance.now();
  const r = await connectTcp({
    address: t.ip,
    port: t.port ?? 0,
    bindAddress: t.bindto,
    bindPort: t.bindPort,
    device: t.bindIf,
    fwmark: t.fwmark,
    timeoutMs: t.connectTimeoutMs,
    signal,
  });
  if (!r.ok) return { ok: false, timeout: r.timeout, error: r.error };
  return adoptFd(r.fd, tls, Math.max(1, t.connectTimeoutMs - (performance.now() - t0)), signal);
}

/** A connected fd (native-bindings/tcp-connect.ts) as a Bun socket, with TLS over it when asked (the handshake within `ms`). */
export function adoptFd(fd: number, tls: TlsOptions | undefined, ms: number, signal: AbortSignal): Promise<Connected> {
  const raw = new Socket();
  raw.connect({ fd } as never);
  if (!tls) return Promise.resolve({ ok: true, sock: raw });
  return new Promise((resolve) => {
    const sock = tlsConnect({ socket: raw, rejectUnauthorized: false, ...tls });
    settle(sock, "secureConnect", ms, signal, resolve);
  });
}

function settle(
  sock: Socket | TLSSocket,
  ready: string,
  ms: number,
  signal: AbortSignal,
  resolve: (c: Connected) => void,
): void {
  const finish = settleOnce<Connected>(resolve, {
    ms,
    signal,
    timeout: () => ({ ok: false, timeout: true, error: "timeout" }),
    aborted: () => ({ ok: false, timeout: false, error: "aborted" }),
    close: (r) => {
      if (!r.ok) sock.destroy();
    },
  });
  sock.once(ready, () => finish({ ok: true, sock }));
  sock.once("error", (e) => finish({ ok: false, timeout: false, error: e.message }));
}

function connectBun(t: ProbeTarget, signal: AbortSignal, tls?: TlsOptions): Promise<Connected> {
  return new Promise((resolve) => {
    const opts = { host: t.ip, port: t.port ?? 0 };
    const sock = tls ? tlsConnect({ ...opts, rejectUnauthorized: false, ...tls }) : tcpConnect(opts);
    settle(sock, tls ? "secureConnect" : "connect", t.connectTimeoutMs, signal, resolve);
  });
}

/** Read until `done(buffer)` says so, the peer closes, or `ms` pass without data (keepalived's per-read timeout). */
export function readUntil(
  sock: Socket,
  ms: number,
  signal: AbortSignal,
  done: (b: Buffer) => boolean,
): Promise<{ data: Buffer; timeout: boolean; closed: boolean; error?: string }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let finished = false;
    let timer = setTimeout(() => end(true, false), ms);
    const end = (timeout: boolean, closed: boolean, error?: string) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      sock.off("data", onData);
      sock.off("end", onEnd);
      sock.off("close", onEnd);
      sock.off("error", onError);
      signal.removeEventListener("abort", onAbort);
      resolve({ data: Buffer.concat(chunks, size), timeout, closed, error });
    };
    const onData = (c: Buffer) => {
      chunks.push(c);
      size += c.length;
      clearTimeout(timer);
      timer = setTimeout(() => end(true, false), ms);
      if (done(Buffer.concat(chunks, size))) end(false, false);
    };
    const onEnd = () => end(false, true);
    const onError = (e: Error) => end(false, true, e.message);
    const onAbort = () => end(false, true, "aborted");
    sock.on("data", onData);
    sock.once("end", onEnd);
    sock.once("close", onEnd);
    sock.once("error", onError);
    signal.addEventListener("abort", onAbort);
  });
}
