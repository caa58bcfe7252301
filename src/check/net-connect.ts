/**
 * A TCP (or TLS) connection for one check attempt, as keepalived's layer4.c makes it:
 * bound to bindto/bind_port when set, connect_timeout for the connect, the attempt's
 * abort signal honoured. Resolves with the socket or a failure in keepalived's words
 * ("timeout" / "error"); never throws, never leaks the socket.
 */
import { type Socket, connect as tcpConnect } from "node:net";
import { type TLSSocket, connect as tlsConnect } from "node:tls";
import type { ProbeTarget } from "./probe";

export type Connected = { ok: true; sock: Socket | TLSSocket } | { ok: false; timeout: boolean; error: string };

export function connectTarget(t: ProbeTarget, signal: AbortSignal, tls?: { servername?: string; ca?: string; cert?: string; key?: string; passphrase?: string }): Promise<Connected> {
  return new Promise((resolve) => {
    let done = false;
    const opts = {
      host: t.ip,
      port: t.port ?? 0,
      ...(t.bindto ? { localAddress: t.bindto } : {}),
      ...(t.bindPort ? { localPort: t.bindPort } : {}),
    };
    const sock = tls
      ? tlsConnect({ ...opts, rejectUnauthorized: false, servername: tls.servername, ca: tls.ca, cert: tls.cert, key: tls.key, passphrase: tls.passphrase })
      : tcpConnect(opts);
    const finish = (r: Connected) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      if (!r.ok) sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ok: false, timeout: true, error: "timeout" }), t.connectTimeoutMs);
    const onAbort = () => finish({ ok: false, timeout: false, error: "aborted" });
    signal.addEventListener("abort", onAbort);
    sock.once(tls ? "secureConnect" : "connect", () => finish({ ok: true, sock }));
    sock.once("error", (e) => finish({ ok: false, timeout: false, error: e.message }));
  });
}

/** Read until `done(buffer)` says so, the peer closes, or `ms` pass without data (keepalived's per-read timeout). */
export function readUntil(sock: Socket, ms: number, signal: AbortSignal, done: (b: Buffer) => boolean): Promise<{ data: Buffer; timeout: boolean; closed: boolean; error?: string }> {
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
