/**
 * `keel genhash` against keepalived's own genhash (Debian's keepalived 2.2.7), on pages
 * served by a scripted server on loopback: both must send the same request, byte for
 * byte, and print the same thing — the digest, the -v dumps (all but the response time),
 * the failure messages, the command-line errors — and exit the same.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, symlinkSync } from "node:fs";
import { type Server, type Socket, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer as tlsServer } from "node:tls";
import { HOOK_TIMEOUT_MS, ensureKeel } from "../netns/harness";

const GENHASH = "/usr/bin/genhash";
let KEEL = "";
const requests: string[] = [];

/** raw responses by path: fixed bytes (no Date header), so both tools see the same thing */
const PAGES: Record<string, string | ((s: Socket) => void)> = {
  "/": "HTTP/1.0 200 OK\r\nContent-Length: 25\r\nContent-Type: text/html\r\n\r\n<html>hello keel</html>\r\n",
  "/chunked": "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nhello \r\n6\r\nworld\n\r\n0\r\n\r\n",
  "/404": "HTTP/1.0 404 Not Found\r\nContent-Length: 10\r\n\r\nnot found\n",
  "/empty": "HTTP/1.0 204 No Content\r\n\r\n",
  "/big": `HTTP/1.0 200 OK\r\nContent-Length: 3000\r\n\r\n${"0123456789abcdef".repeat(200).slice(0, 3000)}`,
  "/longer": "HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\n0123456789",
  "/close": (s) => s.destroy(),
  "/silent": () => {},
};

function serve(s: Socket): void {
  let buf = "";
  s.on("data", (d) => {
    buf += d.toString("latin1");
    if (!buf.includes("\r\n\r\n")) return;
    requests.push(buf);
    const page = PAGES[buf.split(" ")[1] ?? "/"] ?? (PAGES["/"] as string);
    if (typeof page === "function") page(s);
    else s.end(page);
  });
  s.on("error", () => {});
}

let plain: Server;
let plain6: Server;
let tls: Server;
let port = 0;
let port6 = 0;
let tlsPort = 0;
const listen = (s: Server, host: string) =>
  new Promise<number>((r) => s.listen(0, host, () => r((s.address() as { port: number }).port)));

beforeAll(async () => {
  KEEL = ensureKeel();
  plain = createServer(serve);
  plain6 = createServer(serve);
  port = await listen(plain, "127.0.0.1");
  port6 = await listen(plain6, "::1");
  const dir = mkdtempSync(join(tmpdir(), "keel-genhash-"));
  const r = Bun.spawnSync(
    [
      "openssl",
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      "/CN=test",
      "-days",
      "1",
      "-keyout",
      `${dir}/k.pem`,
      "-out",
      `${dir}/c.pem`,
    ],
    { stderr: "ignore" },
  );
  if (r.exitCode !== 0) throw new Error("openssl could not make a certificate");
  tls = tlsServer({ key: await Bun.file(`${dir}/k.pem`).text(), cert: await Bun.file(`${dir}/c.pem`).text() }, serve);
  tlsPort = await listen(tls, "127.0.0.1");
}, HOOK_TIMEOUT_MS);
afterAll(() => {
  plain?.close();
  plain6?.close();
  tls?.close();
});

interface Run {
  code: number;
  out: string;
  err: string;
  request?: string;
}
async function run(cmd: string[]): Promise<Run> {
  const before = requests.length;
  const p = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
  const code = await p.exited;
  // the program name in usage lines is each tool's own
  const norm = (s: string) =>
    s
      .replace(/^Global response time for \[(.*)\] = \d+ usecs$/m, "Global response time for [$1] = N usecs")
      .replace(/^Usage: \S+( genhash| --genhash)? /m, "Usage: PROG ");
  return { code, out: norm(out), err: norm(err), request: requests.slice(before).join("") || undefined };
}
async function same(args: string[]): Promise<Run> {
  const theirs = await run([GENHASH, ...args]);
  const ours = await run([KEEL, "genhash", ...args]);
  expect(ours).toEqual(theirs);
  return ours;
}

describe("keel genhash prints what genhash prints", () => {
  test("keepalived's genhash is installed", () => {
    expect(Bun.which("genhash")).toBe(GENHASH);
  });
  const cases: [string, () => string[]][] = [
    ["a page", () => ["-s", "127.0.0.1", "-p", String(port), "-u", "/"]],
    [
      "a chunked page (hashed with its framing)",
      () => ["-s", "127.0.0.1", "-p", String(port), "-u", "/chunked", "-P", "1.1"],
    ],
    ["a 404 page (genhash hashes whatever comes)", () => ["-s", "127.0.0.1", "-p", String(port), "-u", "/404"]],
    ["a body longer than Content-Length", () => ["-s", "127.0.0.1", "-p", String(port), "-u", "/longer"]],
    ["an empty body", () => ["-s", "127.0.0.1", "-p", String(port), "-u", "/empty"]],
    [
      "HTTP/1.0 with Connection: close, a virtualhost",
      () => ["-s", "127.0.0.1", "-p", String(port), "-u", "/", "-P", "1.0c", "-V", "www.example.org"],
    ],
    ["IPv6", () => ["-s", "::1", "-p", String(port6), "-u", "/", "--protocol=1.1"]],
    ["TLS", () => ["-S", "-s", "127.0.0.1", "-p", String(tlsPort), "-u", "/"]],
    ["verbose", () => ["-v", "-s", "127.0.0.1", "-p", String(port), "-u", "/"]],
    ["verbose, a body over several rows and reads", () => ["-v", "-s", "127.0.0.1", "-p", String(port), "-u", "/big"]],
    [
      "verbose, chunked",
      () => ["--verbose", "--server", "127.0.0.1", "--port", String(port), "--url", "/chunked", "-P", "1.1"],
    ],
    ["the server closes without answering", () => ["-s", "127.0.0.1", "-p", String(port), "-u", "/close"]],
    ["the server never answers (-t 1)", () => ["-s", "127.0.0.1", "-p", String(port), "-u", "/silent", "-t", "1"]],
    ["nothing listens", () => ["-s", "127.0.0.1", "-p", "1", "-u", "/"]],
    ["-h", () => ["-h"]],
    ["no options", () => []],
    ["a host name, not an address", () => ["-s", "localhost", "-p", "80", "-u", "/"]],
    ["a bad port", () => ["-s", "127.0.0.1", "-p", "80x", "-u", "/"]],
    ["a bad protocol", () => ["-s", "127.0.0.1", "-p", "80", "-u", "/", "-P", "2"]],
    ["an unknown and a missing option", () => ["-x", "--nope", "-s"]],
    ["an operand", () => ["-s", "127.0.0.1", "-p", "80", "-u", "/", "extra"]],
    ["no url", () => ["-s", "127.0.0.1", "-p", "80"]],
  ];
  for (const [what, args] of cases) test(what, async () => void (await same(args())), 20_000);

  test("the same request reaches the server from both", async () => {
    const r = await same(["-s", "127.0.0.1", "-p", String(port), "-u", "/", "-P", "1.1", "-V", "vh.example"]);
    expect(r.request).toBe(
      "GET / HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: vh.example\r\n\r\n",
    );
  });

  test("keel -T and keel invoked as genhash", async () => {
    const args = ["-s", "127.0.0.1", "-p", String(port), "-u", "/"];
    const theirs = await run([GENHASH, ...args]);
    expect(await run([KEEL, "-T", ...args])).toEqual(theirs);
    expect(await run(["keepalived", "-T", ...args])).toEqual(theirs);
    const link = join(mkdtempSync(join(tmpdir(), "keel-genhash-link-")), "genhash");
    symlinkSync(KEEL, link);
    expect(await run([link, ...args])).toEqual(theirs);
    // usage names the form it was called by
    expect((await run([KEEL, "-T"])).err).toEqual((await run(["keepalived", "-T"])).err);
  });
});
