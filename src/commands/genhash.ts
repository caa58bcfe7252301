/**
 * `keel genhash` (also `keel -T` / `keel --genhash`, and keel invoked as `genhash`):
 * keepalived's genhash. Fetches one URL the way HTTP_GET / SSL_GET do and prints the
 * MD5 a `digest` line needs; -v prints what keepalived prints (header and body hex
 * dumps, the hash, the response time). Like keepalived, a failed fetch prints the
 * checker's message ("Connection failed", "Timeout connecting", ...) and exits 0; only
 * a bad command line exits 1.
 */
import { connectTcp } from "../../native-bindings/tcp-connect";
import { buildRequest } from "../check/http";
import { HttpResponseReader } from "../check/http-response";
import { adoptFd } from "../check/net-connect";
import type { Io } from "../cli";
import { type GenhashOptions, parseGenhashArgs, usage } from "./genhash-args";

const DELIM_BEGIN = "-----------------------[";
const DELIM_END = "]-----------------------\n";
const HTTP_HEADER_HEXA = `${DELIM_BEGIN}    HTTP Header Buffer    ${DELIM_END}`;
const HTTP_HEADER_ASCII = `${DELIM_BEGIN} HTTP Header Ascii Buffer ${DELIM_END}`;
const HTML_HEADER_HEXA = `${DELIM_BEGIN}        HTML Buffer        ${DELIM_END}`;
const HTML_HASH = `${DELIM_BEGIN}    HTML hash resulting    ${DELIM_END}`;
const HTML_HASH_FINAL = `${DELIM_BEGIN} HTML hash final resulting ${DELIM_END}`;
/** keepalived's connection_to default: UINT_MAX microseconds */
const NO_TIMEOUT_MS = Math.floor(0xffffffff / 1000);

/** lib/utils.c dump_buffer: offset, 16 bytes in hex with " -" after eight, then the printable ASCII */
export function dumpBuffer(b: Uint8Array): string {
  let out = "";
  const rows = Math.ceil(b.length / 16);
  for (let r = 0; r < rows; r++) {
    out += `${String((r * 16) & 0xffff).padStart(4, "0")} `;
    let ascii = "";
    for (let i = r * 16; i < r * 16 + 16; i++) {
      const v = b[i];
      out += v === undefined ? "   " : ` ${v.toString(16).padStart(2, "0")}`;
      ascii += v === undefined ? " " : v >= 0x20 && v <= 0x7e ? String.fromCharCode(v) : ".";
      if ((i + 1) % 8 === 0 && (i + 1) % 16 !== 0) out += " -";
    }
    out += `   ${ascii}\n`;
  }
  return out;
}

export async function genhash(argv: readonly string[], io: Io, prog: string, amGenhash: boolean): Promise<number> {
  const parsed = parseGenhashArgs(argv, amGenhash);
  if (!parsed.ok) {
    io.err(parsed.messages.map((m) => `${m}\n`).join("") + usage(prog, amGenhash));
    return 1;
  }
  const o = parsed.value;
  const t0 = performance.now();
  await fetchDigest(o, io);
  if (o.verbose)
    io.out(`\nGlobal response time for [${o.url}] = ${Math.round((performance.now() - t0) * 1000)} usecs\n`);
  return 0;
}

/** One fetch, printing as check_http.c does in genhash mode. */
async function fetchDigest(o: GenhashOptions, io: Io): Promise<void> {
  const say = (m: string) => io.out(`${m}\n`);
  const timeoutMs = o.timeoutS !== undefined ? o.timeoutS * 1000 : NO_TIMEOUT_MS;
  const [ip, scope] = o.server.split("%");
  const c = await connectTcp({ address: ip ?? o.server, port: o.port, device: scope, fwmark: o.fwmark, timeoutMs });
  if (!c.ok) {
    if (c.timeout) return say("Timeout connecting");
    if (c.step !== "connect") {
      io.err(`WEB socket bind failed: ${c.error}\n`);
      return;
    }
    // an immediate refusal is what keepalived calls network unreachable; a failed handshake "Connection failed"
    return say(
      c.immediate ? "HTTP_CHECK - network unreachable" : c.errno === 110 ? "Timeout connecting" : "Connection failed",
    );
  }
  const a = await adoptFd(
    c.fd,
    o.ssl ? (o.sni && o.virtualhost ? { servername: o.virtualhost } : {}) : undefined,
    timeoutMs,
    new AbortController().signal,
  );
  if (!a.ok) return say("SSL handshake/communication error connecting to");
  const sock = a.sock;
  const reader = new HttpResponseReader(
    o.verbose
      ? {
          headerPending: () => io.out(HTTP_HEADER_HEXA),
          header: (head) => io.out(`${dumpBuffer(head)}${HTTP_HEADER_ASCII}${head.toString("latin1")}\n`),
          body: (bytes, first) => io.out(`${first ? HTML_HEADER_HEXA : ""}${dumpBuffer(bytes)}`),
        }
      : {},
  );
  const request = buildRequest(
    { httpProtocol: o.protocol, virtualhost: o.virtualhost },
    { path: o.url },
    { ip: ip ?? o.server, port: o.port },
  );
  let got = false;
  type Outcome = "eof" | "error" | "timeout" | "send";
  const outcome = await new Promise<Outcome>((resolve) => {
    let timer = setTimeout(() => resolve("timeout"), timeoutMs);
    const done = (v: Outcome) => {
      clearTimeout(timer);
      resolve(v);
    };
    sock.on("data", (d: Buffer) => {
      got = true;
      clearTimeout(timer);
      reader.push(d);
      // keepalived reads to EOF; a complete response ends it too (a server that keeps the connection open would otherwise hold genhash for its timeout)
      if (reader.complete()) done("eof");
      else timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    sock.once("end", () => done("eof"));
    sock.once("close", () => done("eof"));
    sock.once("error", () => done(got ? "error" : "send"));
    sock.write(request);
  });
  sock.destroy();
  if (outcome === "timeout") return say(got ? (o.ssl ? "Timeout SSL read" : "Timeout HTTP read") : "Timeout WEB read");
  if (outcome === "send") return say("Cannot send get request to");
  if (outcome === "error") return say(o.ssl ? "SSL read error from" : "Read error with");
  const digest = reader.digestBytes();
  if (o.verbose) io.out(`\n${HTML_HASH}${dumpBuffer(digest)}${HTML_HASH_FINAL}`);
  if (!reader.extracted) io.err("no data received from remote webserver\n");
  else say(digest.toString("hex"));
}
