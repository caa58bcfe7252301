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
import { HEADER_LEN, PduType, ResError, decodePdu, encodeResponse, pduLength } from "../../../src/snmp/agentx";
import { SnmpAgent, parseAgentxAddress } from "../../../src/snmp/agent";
import type { MibModule, SnmpSource } from "../../../src/snmp/mib";
import type { SnmpWrite } from "../../../src/snmp/write-set";

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
  const id = [(packetId >>> 24) & 255, (packetId >>> 16) & 255, (packetId >>> 8) & 255, packetId & 255];
  const b: number[] = [1, type, 0x10, 0, 0, 0, 0, 42, 0, 0, 0, 1, ...id, 0, 0, 0, 0];
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

function setup(extra: Partial<ConstructorParameters<typeof SnmpAgent>[0]> = {}) {
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
    ...extra,
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
    // the agent registers once the Open is answered (connected): the last Register may
    // still be on its way to the master
    await eventually(() => types(m).filter((t) => t === PduType.Register).length === m.connections, 3_000);
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

/** A set phase from the master: header (transaction `tx`) and, for TestSet, Integer varbinds. */
function setPdu(type: number, tx: number, packetId: number, vbs: [number[], number][] = []): Uint8Array {
  const b: number[] = [1, type, 0x10, 0, 0, 0, 0, 42, 0, 0, 0, tx];
  const u32 = (n: number) => b.push((n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
  u32(packetId);
  u32(0);
  for (const [name, value] of vbs) {
    b.push(0, 2, 0, 0, name.length, 0, 0, 0);
    for (const n of name) u32(n);
    u32(value >>> 0);
  }
  const len = b.length - HEADER_LEN;
  b.splice(16, 4, (len >>> 24) & 255, (len >>> 16) & 255, (len >>> 8) & 255, len & 255);
  return Uint8Array.from(b);
}

/**
 * A module with one writable object, [ROOT, 1, 0], taking Integers 0..10 (wrongValue
 * otherwise, wrongType for another type); [ROOT, 2, 0] is read-only. The value lives in
 * `store`, changed only by the agent's apply.
 */
function writable() {
  const store = { value: 7 };
  const applied: number[] = [];
  const failOn = new Set<number>();
  const module: MibModule = {
    ...MODULE,
    testSet: (vb) => {
      if (vb.oid.join(".") !== [...ROOT, 1, 0].join(".")) return { ok: false, error: ResError.notWritable };
      if (vb.type !== "Integer" || typeof vb.value !== "number") return { ok: false, error: ResError.wrongType };
      if (vb.value < 0 || vb.value > 10) return { ok: false, error: ResError.wrongValue };
      const w = (priority: number): SnmpWrite => ({ kind: "vrrp-priority", instance: "x", priority });
      return { ok: true, write: w(vb.value), undo: w(store.value) };
    },
  };
  const apply = (w: SnmpWrite) => {
    if (w.kind !== "vrrp-priority") return "not this kind";
    if (failOn.has(w.priority)) return `refused ${w.priority}`;
    applied.push(w.priority);
    store.value = w.priority;
    return undefined;
  };
  return { module, apply, store, applied, failOn };
}

/** The response to packet `id`: [error, index]. */
function answer(m: Master, id: number): [number, number] | undefined {
  const r = responses(m).find((p) => new DataView(p.buffer).getUint32(12) === id);
  if (!r) return undefined;
  const d = decodePdu(r);
  return d.ok && d.value.kind === "response" ? [d.value.error, d.value.index] : undefined;
}

describe("sets over AgentX (RFC 2741 7.2.4)", () => {
  const OBJ = [...ROOT, 1, 0];
  test("TestSet, CommitSet, CleanupSet: the write is made at commit, once", async () => {
    const w = writable();
    const { m, agent } = setup({ modules: [w.module], apply: w.apply });
    agent.start();
    await eventually(() => agent.connected, 3_000);
    const s = m.socket as Socket;
    s.write(setPdu(PduType.TestSet, 5, 201, [[OBJ, 3]]));
    await eventually(() => answer(m, 201) !== undefined, 3_000);
    expect(answer(m, 201)).toEqual([ResError.noError, 0]);
    expect(w.applied).toEqual([]);
    s.write(setPdu(PduType.CommitSet, 5, 202));
    s.write(setPdu(PduType.CleanupSet, 5, 203));
    // CleanupSet has no response: a Get after it proves it was read
    s.write(request(PduType.Get, 204, OBJ));
    await eventually(() => answer(m, 204) !== undefined, 3_000);
    expect(answer(m, 202)).toEqual([ResError.noError, 0]);
    expect(answer(m, 203)).toBeUndefined();
    expect(w.applied).toEqual([3]);
  });

  test("refusals name the varbind: wrongValue, notWritable, wrongType; nothing is written", async () => {
    const w = writable();
    const { m, agent } = setup({ modules: [w.module], apply: w.apply });
    agent.start();
    await eventually(() => agent.connected, 3_000);
    const s = m.socket as Socket;
    s.write(
      setPdu(PduType.TestSet, 6, 301, [
        [OBJ, 2],
        [OBJ, 11],
      ]),
    );
    s.write(setPdu(PduType.TestSet, 7, 302, [[[...ROOT, 2, 0], 1]]));
    s.write(setPdu(PduType.TestSet, 8, 303, [[[1, 3, 6, 1, 4, 1, 424242, 1], 1]]));
    // an OctetString where an Integer goes
    const str = setPdu(PduType.TestSet, 9, 304, [[OBJ, 0]]);
    str[21] = 4;
    new DataView(str.buffer).setUint32(str.length - 4, 0);
    s.write(str);
    await eventually(() => answer(m, 304) !== undefined, 3_000);
    expect([301, 302, 303, 304].map((id) => answer(m, id))).toEqual([
      [ResError.wrongValue, 2],
      [ResError.notWritable, 1],
      [ResError.notWritable, 1],
      [ResError.wrongType, 1],
    ]);
    // a CommitSet for a transaction whose test failed: commitFailed, nothing applied
    s.write(setPdu(PduType.CommitSet, 6, 305));
    await eventually(() => answer(m, 305) !== undefined, 3_000);
    expect(answer(m, 305)).toEqual([ResError.commitFailed, 0]);
    expect(w.applied).toEqual([]);
  });

  test("a commit that fails midway is commitFailed; UndoSet puts the applied writes back", async () => {
    const w = writable();
    w.failOn.add(9);
    const { m, agent } = setup({ modules: [w.module], apply: w.apply });
    agent.start();
    await eventually(() => agent.connected, 3_000);
    const s = m.socket as Socket;
    s.write(
      setPdu(PduType.TestSet, 10, 401, [
        [OBJ, 4],
        [OBJ, 9],
      ]),
    );
    s.write(setPdu(PduType.CommitSet, 10, 402));
    s.write(setPdu(PduType.UndoSet, 10, 403));
    s.write(setPdu(PduType.CleanupSet, 10, 404));
    s.write(request(PduType.Get, 405, OBJ));
    await eventually(() => answer(m, 405) !== undefined, 3_000);
    expect([401, 402, 403].map((id) => answer(m, id))).toEqual([
      [ResError.noError, 0],
      [ResError.commitFailed, 2],
      [ResError.noError, 0],
    ]);
    // 4 applied, then undone to the value TestSet saw
    expect(w.applied).toEqual([4, 7]);
    expect(w.store.value).toBe(7);
  });

  test("a malformed TestSet is answered parseError and the session goes on", async () => {
    const w = writable();
    const { m, agent } = setup({ modules: [w.module], apply: w.apply });
    agent.start();
    await eventually(() => agent.connected, 3_000);
    const s = m.socket as Socket;
    const bad = setPdu(PduType.TestSet, 11, 501, [[OBJ, 1]]);
    bad[21] = 99; // no such value type
    s.write(bad);
    s.write(request(PduType.Get, 502, OBJ));
    await eventually(() => answer(m, 502) !== undefined, 3_000);
    expect(answer(m, 501)).toEqual([ResError.parseError, 0]);
    expect(agent.counters.badPdus).toBe(1);
    expect(w.applied).toEqual([]);
  });

  test("without an apply (a read-only subagent) every TestSet is notWritable", async () => {
    const w = writable();
    const { m, agent } = setup({ modules: [w.module] });
    agent.start();
    await eventually(() => agent.connected, 3_000);
    (m.socket as Socket).write(setPdu(PduType.TestSet, 12, 601, [[OBJ, 1]]));
    await eventually(() => answer(m, 601) !== undefined, 3_000);
    expect(answer(m, 601)).toEqual([ResError.notWritable, 1]);
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
