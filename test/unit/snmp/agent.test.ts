/**
 * The subagent's socket side against a master agent played by the test over a real unix
 * socket (the interop test has Debian's snmpd; this one controls what snmpd never does:
 * two PDUs in one read, one PDU over two, bytes that are no PDU, a master that goes away).
 */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { type Server, type Socket, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually } from "../../netns/harness";
import { HEADER_LEN, PduType, encodeResponse, pduLength } from "../../../src/snmp/agentx";
import { SnmpAgent, parseAgentxAddress } from "../../../src/snmp/agent";
import type { MibModule, SnmpSource } from "../../../src/snmp/mib";

const ROOT = [1, 3, 6, 1, 4, 1, 99999];
const MODULE: MibModule = {
  name: "TEST-MIB",
  root: ROOT,
  varbinds: () => [
    { oid: [...ROOT, 1, 0], type: "Integer", value: 7 },
    { oid: [...ROOT, 2, 0], type: "OctetString", value: "x" },
  ],
};

/** A master agent's request: header + one search range (start, null end). */
function request(type: number, packetId: number, start: number[]): Uint8Array {
  const b: number[] = [1, type, 0x10, 0, 0, 0, 0, 42, 0, 0, 0, 1, 0, 0, 0, packetId, 0, 0, 0, 0];
  b.push(start.length, 0, 0, 0);
  for (const n of start) b.push((n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
  b.push(0, 0, 0, 0);
  const len = b.length - HEADER_LEN;
  b[19] = len;
  return Uint8Array.from(b);
}

interface Master {
  server: Server;
  pdus: Uint8Array[];
  socket?: Socket;
  connections: number;
}

function master(path: string): Master {
  const m: Master = { server: createServer(), pdus: [], connections: 0 };
  m.server.on("connection", (s) => {
    m.socket = s;
    m.connections++;
    let buf = new Uint8Array(0);
    s.on("data", (d: Buffer) => {
      const merged = new Uint8Array(buf.length + d.length);
      merged.set(buf);
      merged.set(d, buf.length);
      buf = merged;
      for (let n = pduLength(buf); n !== undefined && buf.length >= n; n = pduLength(buf)) {
        const pdu = buf.slice(0, n);
        buf = buf.slice(n);
        m.pdus.push(pdu);
        const type = pdu[1];
        const packetId = new DataView(pdu.buffer).getUint32(12);
        // the master's answers to Open (session 42), Register, AddAgentCaps, Notify
        if (type !== PduType.Response) s.write(encodeResponse({ sessionId: 42, transactionId: 0, packetId }, {}));
      }
    });
  });
  m.server.listen(path);
  return m;
}

const types = (m: Master) => m.pdus.map((p) => p[1]);
const responses = (m: Master) => m.pdus.filter((p) => p[1] === PduType.Response);

let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup.reverse()) c();
  cleanup = [];
});

function setup() {
  const dir = mkdtempSync(join(tmpdir(), "keel-agentx-"));
  const path = join(dir, "master");
  const m = master(path);
  const logs: string[] = [];
  const agent = new SnmpAgent({
    socket: `unix:${path}`,
    modules: [MODULE],
    trapping: [],
    source: () => ({}) as SnmpSource,
    log: { info: (s) => logs.push(s), warn: (s) => logs.push(s) },
    retry: { firstMs: 20, maxMs: 40 },
  });
  cleanup.push(() => {
    agent.stop();
    m.server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { m, agent, logs, path };
}

describe("the AgentX subagent over a unix socket", () => {
  test("opens a session, registers the module and its sysORTable row", async () => {
    const { m, agent } = setup();
    agent.start();
    await eventually(() => types(m).includes(PduType.AddAgentCaps), 3_000);
    expect(types(m).slice(0, 3)).toEqual([PduType.Open, PduType.Register, PduType.AddAgentCaps]);
    expect(agent.connected).toBe(true);
  });

  test("two requests in one read, one request over two reads, and junk between", async () => {
    const { m, agent } = setup();
    agent.start();
    await eventually(() => agent.connected, 3_000);
    const s = m.socket as Socket;
    const a = request(PduType.GetNext, 101, ROOT);
    const b = request(PduType.Get, 102, [...ROOT, 2, 0]);
    s.write(Buffer.concat([a, b]));
    const c = request(PduType.GetNext, 103, [...ROOT, 2, 0]);
    s.write(c.subarray(0, 13));
    await Bun.sleep(20);
    s.write(c.subarray(13));
    await eventually(() => responses(m).length === 3, 3_000);
    const ids = { sessionId: 42, transactionId: 1 };
    expect(responses(m)).toEqual([
      encodeResponse({ ...ids, packetId: 101 }, { varbinds: [MODULE.varbinds({} as SnmpSource)[0]!] }),
      encodeResponse({ ...ids, packetId: 102 }, { varbinds: [MODULE.varbinds({} as SnmpSource)[1]!] }),
      encodeResponse({ ...ids, packetId: 103 }, { varbinds: [{ oid: [...ROOT, 2, 0], exception: "endOfMibView" }] }),
    ]);
    // a PDU of another AgentX version: dropped and counted; the session goes on
    const bad = request(PduType.Get, 104, [...ROOT, 1, 0]);
    bad[0] = 2;
    s.write(bad);
    s.write(request(PduType.Get, 105, [...ROOT, 1, 0]));
    await eventually(() => responses(m).length === 4, 3_000);
    expect(agent.counters.badPdus).toBe(1);
  });

  test("a master that goes away is logged once and registered with again", async () => {
    const { m, agent, logs } = setup();
    agent.start();
    await eventually(() => agent.connected, 3_000);
    for (const n of [2, 3]) {
      m.socket?.destroy();
      await eventually(() => m.connections === n && agent.connected, 3_000);
    }
    expect(logs.filter((l) => l.includes("lost the master agent"))).toHaveLength(2);
    expect(types(m).filter((t) => t === PduType.Register)).toHaveLength(m.connections);
  });

  test("a master that is not there: one warning however many retries", async () => {
    const { m, agent, logs, path } = setup();
    m.server.close();
    rmSync(path, { force: true });
    agent.start();
    await Bun.sleep(200);
    expect(logs.filter((l) => l.startsWith("SNMP: cannot reach"))).toHaveLength(1);
  });
});

describe("snmp_socket / -A addresses (net-snmp's syntax)", () => {
  test("unix, a bare path, tcp with and without port; udp refused with the reason", () => {
    expect(parseAgentxAddress("unix:/var/agentx/master")).toEqual({
      ok: true,
      value: { kind: "unix", path: "/var/agentx/master" },
    });
    expect(parseAgentxAddress("/run/agentx")).toEqual({ ok: true, value: { kind: "unix", path: "/run/agentx" } });
    expect(parseAgentxAddress("tcp:localhost:7050")).toEqual({
      ok: true,
      value: { kind: "tcp", host: "localhost", port: 7050 },
    });
    expect(parseAgentxAddress("tcp:[::1]")).toEqual({ ok: true, value: { kind: "tcp", host: "::1", port: 705 } });
    expect(parseAgentxAddress("10.0.0.1:705")).toEqual({
      ok: true,
      value: { kind: "tcp", host: "10.0.0.1", port: 705 },
    });
    const udp = parseAgentxAddress("udp:localhost:705");
    expect(udp.ok === false && udp.error).toContain("not UDP");
  });
});
