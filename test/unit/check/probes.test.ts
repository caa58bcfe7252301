// Every probe against a real local server started here (loopback): up, down, slow, and
// the type's own rules, with keepalived's failure lines.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { createSocket } from "node:dgram";
import { mkdtempSync, writeFileSync } from "node:fs";
import { type Server, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer as tlsServer } from "node:tls";
import { SMTPServer } from "smtp-server";
import { createDnsProbe } from "../../../src/check/dns";
import { buildRequest, createHttpProbe } from "../../../src/check/http";
import { createMiscProbe } from "../../../src/check/misc";
import type { ProbeResult, ProbeTarget } from "../../../src/check/probe";
import { createSmtpProbe, expandSmtpHosts } from "../../../src/check/smtp";
import { createTcpProbe } from "../../../src/check/tcp";
import { createUdpProbe, replyMatches } from "../../../src/check/udp";
import {
  type HttpCheck,
  type SmtpCheck,
  createChecker,
  createHttpUrl,
  createRealServer,
  createVirtualServer,
} from "../../../src/config/lvs/model";
import { runScript } from "../../../src/runtime/exec";

const ctx = (port: number, extra: Partial<ProbeTarget> = {}) => ({
  target: { ip: "127.0.0.1", port, connectTimeoutMs: 500, ...extra },
  signal: new AbortController().signal,
  retry: false,
});
const vs = createVirtualServer({ kind: "address", ip: "10.0.0.1", port: 80 });
const rs = createRealServer("127.0.0.1", 80);
const site = { vs, rs, deps: { runScript } };

function listen(s: Server): Promise<number> {
  return new Promise((r) => s.listen(0, "127.0.0.1", () => r((s.address() as { port: number }).port)));
}

/** an HTTP/1.0 server on a raw socket: records requests, answers with `reply(path)` */
function httpServer(reply: (path: string) => { status?: number; body?: string; delay?: number }) {
  const requests: { raw: string; peer: string }[] = [];
  const server = createServer((sock) => {
    sock.once("data", (d) => {
      const raw = d.toString();
      requests.push({ raw, peer: sock.remoteAddress ?? "" });
      const r = reply(raw.split(" ")[1] ?? "/");
      const send = () =>
        sock.end(`HTTP/1.0 ${r.status ?? 200} X\r\nContent-Length: ${(r.body ?? "").length}\r\n\r\n${r.body ?? ""}`);
      if (r.delay) setTimeout(send, r.delay);
      else send();
    });
    sock.on("error", () => {});
  });
  return { server, requests };
}

function http(
  paths: { path: string; digest?: string; codes?: [number, number]; regex?: string; noMatch?: boolean }[],
  o: Partial<HttpCheck> = {},
): HttpCheck {
  const ck = createChecker("HTTP_GET") as HttpCheck;
  ck.urls = paths.map((p) => {
    const u = createHttpUrl();
    u.path = p.path;
    if (p.digest) u.digest = p.digest;
    if (p.codes) u.statusCodes = [{ from: p.codes[0], to: p.codes[1] }];
    if (p.regex) u.regex = p.regex;
    u.regexNoMatch = p.noMatch ?? false;
    return u;
  });
  return { ...ck, ...o };
}
const md5 = (s: string) => createHash("md5").update(s).digest("hex");
const reason = (r: ProbeResult) => (r.ok ? "ok" : r.reason);

describe("TCP_CHECK", () => {
  test("a listening port is up; a closed one fails with keepalived's line", async () => {
    const s = createServer((c) => c.end());
    const port = await listen(s);
    const p = createTcpProbe(createChecker("TCP_CHECK") as never);
    expect((await p.run(ctx(port))).ok).toBe(true);
    s.close();
    await Bun.sleep(50);
    expect(reason(await p.run(ctx(port)))).toBe(`TCP connection to [127.0.0.1]:tcp:${port} failed.`);
    expect(p.downLine("[127.0.0.1]:tcp:80", 1, { ok: false, reason: "" })).toBe(
      "TCP_CHECK on service [127.0.0.1]:tcp:80 failed after 1 retries.",
    );
  });
  test("bindto, bind_port and fwmark: the connection leaves from the configured source", async () => {
    const peers: string[] = [];
    const s = createServer((c) => {
      peers.push(`${c.remoteAddress}:${c.remotePort}`);
      c.end();
    });
    const port = await listen(s);
    const p = createTcpProbe(createChecker("TCP_CHECK") as never);
    const bindPort = 20000 + (process.pid % 20000);
    expect((await p.run(ctx(port, { bindto: "127.0.0.9", bindPort, fwmark: 7 }))).ok).toBe(true);
    await Bun.sleep(20);
    expect(peers).toEqual([`127.0.0.9:${bindPort}`]);
    // an address this host does not have: the bind fails, so the check does (keepalived: "Checker bind failed")
    expect((await p.run(ctx(port, { bindto: "192.0.2.77" }))).ok).toBe(false);
    s.close();
    await Bun.sleep(50);
    expect(reason(await p.run(ctx(port, { bindto: "127.0.0.9" })))).toBe(
      `TCP connection to [127.0.0.1]:tcp:${port} failed.`,
    );
  });
});

describe("HTTP_GET", () => {
  const { server, requests } = httpServer((path) =>
    path === "/slow"
      ? { body: "late", delay: 2000 }
      : path === "/500"
        ? { status: 500, body: "no" }
        : { body: `page ${path}\n` },
  );
  let port = 0;
  beforeAll(async () => {
    port = await listen(server);
  });
  afterAll(() => server.close());

  test("keepalived's request: HTTP/1.0, User-Agent, Host ip:port or virtualhost", async () => {
    expect(buildRequest({ httpProtocol: "1.0" }, { path: "/x" }, { ip: "10.0.0.2", port: 80 })).toBe(
      "GET /x HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 10.0.0.2:80\r\n\r\n",
    );
    expect(buildRequest({ httpProtocol: "1.1", virtualhost: "www" }, { path: "/" }, { ip: "::1", port: 80 })).toBe(
      "GET / HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: www\r\n\r\n",
    );
    expect(buildRequest({ httpProtocol: "1.0C" }, { path: "/" }, { ip: "2001:db8::1", port: 8080 })).toContain(
      "Host: [2001:db8::1]:8080\r\n",
    );
    const r = await createHttpProbe(http([{ path: "/a" }], { virtualhost: "example.org" }), site).run(ctx(port));
    expect(r).toMatchObject({ ok: true, detail: "200" });
    expect(requests.at(-1)?.raw).toContain("Host: example.org\r\n");
  });
  test("digest: the MD5 of the body; a changed page fails", async () => {
    expect((await createHttpProbe(http([{ path: "/a", digest: md5("page /a\n") }]), site).run(ctx(port))).ok).toBe(
      true,
    );
    expect(reason(await createHttpProbe(http([{ path: "/a", digest: md5("other") }]), site).run(ctx(port)))).toBe(
      `MD5 digest error to server [127.0.0.1]:tcp:${port}.`,
    );
  });
  test("status codes and ranges", async () => {
    expect(reason(await createHttpProbe(http([{ path: "/500" }]), site).run(ctx(port)))).toBe(
      `HTTP status code error to server [127.0.0.1]:tcp:${port}.`,
    );
    expect((await createHttpProbe(http([{ path: "/500", codes: [500, 599] }]), site).run(ctx(port))).ok).toBe(true);
  });
  test("regex, and regex_no_match", async () => {
    expect((await createHttpProbe(http([{ path: "/abc", regex: "page /a.c" }]), site).run(ctx(port))).ok).toBe(true);
    expect(
      (await createHttpProbe(http([{ path: "/abc", regex: "page /a.c", noMatch: true }]), site).run(ctx(port))).ok,
    ).toBe(false);
  });
  test("bindto: the request comes from the configured source address", async () => {
    expect((await createHttpProbe(http([{ path: "/b" }]), site).run(ctx(port, { bindto: "127.0.0.10" }))).ok).toBe(
      true,
    );
    expect(requests.at(-1)?.peer).toBe("127.0.0.10");
  });
  test("a chunked body is hashed as it came, framing included, as keepalived and genhash do", async () => {
    const body = "6\r\nhello \r\n6\r\nworld\n\r\n0\r\n\r\n";
    const s = createServer((sock) =>
      sock.once("data", () => sock.end(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${body}`)),
    );
    const p2 = await listen(s);
    expect(
      (await createHttpProbe(http([{ path: "/", digest: md5(body) }], { httpProtocol: "1.1" }), site).run(ctx(p2))).ok,
    ).toBe(true);
    s.close();
  });
  test("a slow server times out after connect_timeout (per read)", async () => {
    const t0 = performance.now();
    const r = await createHttpProbe(http([{ path: "/slow" }]), site).run(ctx(port));
    const ms = performance.now() - t0;
    expect(r).toMatchObject({ ok: false, timeout: true });
    expect(ms).toBeGreaterThan(450);
    expect(ms).toBeLessThan(1500);
  });
  test("a retry resumes at the failed URL", async () => {
    const p = createHttpProbe(http([{ path: "/one" }, { path: "/500" }]), site);
    await p.run(ctx(port));
    const before = requests.length;
    await p.run({ ...ctx(port), retry: true });
    expect(requests.slice(before).map((r) => r.raw.split(" ")[1])).toEqual(["/500"]);
  });
  test("refused", async () => {
    const s = createServer();
    const p2 = await listen(s);
    s.close();
    await Bun.sleep(50);
    expect(reason(await createHttpProbe(http([{ path: "/" }]), site).run(ctx(p2)))).toBe(
      `Connection failed server [127.0.0.1]:tcp:${p2}.`,
    );
  });
});

describe("SSL_GET", () => {
  test("TLS with a generated certificate; SNI sent when enabled", async () => {
    const dir = mkdtempSync(join(tmpdir(), "keel-tls-"));
    const r = Bun.spawnSync([
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
    ]);
    expect(r.exitCode).toBe(0);
    let sni: string | undefined;
    const s = tlsServer(
      { key: await Bun.file(`${dir}/k.pem`).text(), cert: await Bun.file(`${dir}/c.pem`).text() },
      (sock) => {
        sni = (sock as unknown as { servername?: string }).servername;
        sock.once("data", () => sock.end("HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nyes"));
        sock.on("error", () => {});
      },
    );
    const port = await new Promise<number>((res) =>
      s.listen(0, "127.0.0.1", () => res((s.address() as { port: number }).port)),
    );
    const ck = {
      ...http([{ path: "/", digest: md5("yes") }]),
      type: "SSL_GET" as const,
      enableSni: true,
      sniName: "svc.example",
    };
    expect((await createHttpProbe(ck, site).run(ctx(port))).ok).toBe(true);
    expect(sni).toBe("svc.example");
    // TLS over a natively bound connection
    sni = undefined;
    expect((await createHttpProbe(ck, site).run(ctx(port, { bindto: "127.0.0.11" }))).ok).toBe(true);
    expect(sni as string | undefined).toBe("svc.example");
    s.close();
  });
});

describe("SMTP_CHECK", () => {
  test("banner and HELO with a real SMTP server; a 5xx HELO fails", async () => {
    let helo = "";
    const s = new SMTPServer({ authOptional: true, disabledCommands: ["STARTTLS"], onConnect: (_s, cb) => cb() });
    (s as unknown as { on(e: string, f: () => void): void }).on("error", () => {});
    const port = await new Promise<number>((res) =>
      s.listen(0, "127.0.0.1", () => res((s.server.address() as { port: number }).port)),
    );
    const ck = { ...(createChecker("SMTP_CHECK") as never as object), heloName: "keel.test" } as never;
    expect((await createSmtpProbe(ck).run(ctx(port, { connectTimeoutMs: 2000 }))).ok).toBe(true);
    s.close();
    const raw = createServer((c) => {
      c.write("220 hi\r\n");
      c.on("data", (d) => {
        helo = d.toString();
        c.write("550 no\r\n");
      });
    });
    const p2 = await listen(raw);
    expect(reason(await createSmtpProbe(ck).run(ctx(p2)))).toBe(
      `SMTP_CHECK Bad HELO response from server [127.0.0.1]:tcp:${p2}`,
    );
    expect(helo).toBe("HELO keel.test\r\n");
    raw.close();
  });
});

describe("DNS_CHECK", () => {
  test("NOERROR with our id is up; NXDOMAIN and silence fail", async () => {
    let rcode = 0;
    const s = createSocket("udp4");
    s.on("message", (m, from) => {
      const r = Buffer.from(m);
      r.writeUInt16BE(0x8180 | rcode, 2);
      r.writeUInt16BE(rcode ? 0 : 1, 6);
      if (rcode !== 99) s.send(r, from.port, from.address);
    });
    await new Promise<void>((res) => s.bind(0, "127.0.0.1", () => res()));
    const port = s.address().port;
    const p = createDnsProbe({
      ...(createChecker("DNS_CHECK") as never as object),
      name: "example.org",
      queryType: "A",
    } as never);
    expect(await p.run(ctx(port))).toMatchObject({ ok: true, detail: "1 answers" });
    rcode = 3;
    expect((await p.run(ctx(port))).ok).toBe(false);
    rcode = 99;
    const t0 = performance.now();
    expect(await p.run(ctx(port))).toMatchObject({ ok: false, timeout: true });
    expect(performance.now() - t0).toBeGreaterThan(450);
    s.close();
  });
});

describe("UDP_CHECK", () => {
  test("require_reply with reply_data; a closed port fails with or without it", async () => {
    expect(replyMatches("6f6bxx", Buffer.from("ok!"))).toBe(true);
    expect(replyMatches("6f6c", Buffer.from("ok"))).toBe(false);
    const s = createSocket("udp4");
    s.on("message", (m, from) => s.send(Buffer.concat([Buffer.from("ok"), m]), from.port, from.address));
    await new Promise<void>((res) => s.bind(0, "127.0.0.1", () => res()));
    const port = s.address().port;
    const base = createChecker("UDP_CHECK") as never as object;
    expect(
      (
        await createUdpProbe({ ...base, payload: "41", requireReply: true, replyData: "6f6b41" } as never).run(
          ctx(port),
        )
      ).ok,
    ).toBe(true);
    expect(
      (
        await createUdpProbe({ ...base, payload: "41", requireReply: true, replyData: "6f6b42" } as never).run(
          ctx(port),
        )
      ).ok,
    ).toBe(false);
    s.close();
    await Bun.sleep(50);
    expect((await createUdpProbe({ ...base, requireReply: false } as never).run(ctx(port))).ok).toBe(false);
  });
});

describe("MISC_CHECK", () => {
  test("exit 0 up, 1 down, misc_dynamic weight, timeout", async () => {
    const dir = mkdtempSync(join(tmpdir(), "keel-misc-"));
    const script = join(dir, "s.sh");
    writeFileSync(script, '#!/bin/sh\n[ "$1" = sleep ] && sleep 5\nexit $1\n', { mode: 0o755 });
    const mk = (arg: string, dynamic = false, timeout = 2) =>
      createMiscProbe(
        {
          type: "MISC_CHECK",
          miscPath: { command: `${script} ${arg}` },
          miscDynamic: dynamic,
          miscTimeout: timeout,
        } as never,
        site,
      );
    expect((await mk("0").run(ctx(80))).ok).toBe(true);
    expect(reason(await mk("1").run(ctx(80)))).toContain("failed (exited with status 1)");
    expect(await mk("12", true).run(ctx(80))).toMatchObject({ ok: true, weight: 10 });
    const t0 = performance.now();
    expect(await mk("sleep", false, 0.3).run(ctx(80))).toMatchObject({ ok: false, timeout: true });
    expect(performance.now() - t0).toBeLessThan(3000);
  });
});

describe("SMTP_CHECK host { } blocks (deprecated): one checker per host", () => {
  const smtp = (o: Partial<SmtpCheck>): SmtpCheck => ({
    ...(createChecker("SMTP_CHECK") as SmtpCheck),
    heloName: "keel.test",
    retry: 2,
    ...o,
  });
  test("without its own connection options, the first host takes the SMTP_CHECK's place", () => {
    const out = expandSmtpHosts(
      smtp({
        hosts: [
          { connectIp: "10.0.0.5", connectPort: 25 },
          { connectIp: "10.0.0.6", bindto: "10.0.0.1" },
        ],
      }),
    );
    expect(out.map((c) => [c.connectIp, c.connectPort, c.bindto, c.retry, c.heloName, c.hosts.length])).toEqual([
      ["10.0.0.5", 25, undefined, 2, "keel.test", 0],
      ["10.0.0.6", undefined, "10.0.0.1", 2, "keel.test", 0],
    ]);
  });
  test("with its own connection options, the SMTP_CHECK stays and each host adds one; hosts do not inherit them", () => {
    const out = expandSmtpHosts(smtp({ connectTimeout: 3, bindto: "10.0.0.9", hosts: [{ connectIp: "10.0.0.5" }] }));
    expect(out.map((c) => [c.connectIp, c.bindto, c.connectTimeout])).toEqual([
      [undefined, "10.0.0.9", 3],
      ["10.0.0.5", undefined, undefined],
    ]);
    expect(expandSmtpHosts(smtp({}))).toHaveLength(1);
  });
});
