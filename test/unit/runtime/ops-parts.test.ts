// The pure parts of the operations: the maintenance state file's reader and writer, the
// VS/RS names operators type, the user name of a uid, and the requests' field checks.
import { expect, test } from "bun:test";
import { formatStatus } from "../../../src/commands/status";
import { type Status, type VirtualServerStatus, parseRequest } from "../../../src/control/protocol";
import {
  emptyMaintenance,
  formatMaintenance,
  maintenanceFileFor,
  parseMaintenance,
} from "../../../src/runtime/maintenance-file";
import { peerText, userName } from "../../../src/runtime/peer";
import { findRealServer } from "../../../src/runtime/rs-names";

test("the state file round-trips, lives beside the socket, and names what is wrong", () => {
  expect(maintenanceFileFor("/run/keel/keel.sock")).toBe("/run/keel/keel.maintenance.json");
  const s = emptyMaintenance();
  s.instances.set("VI_2", { at: 2, by: "root (uid 0, pid 9)" });
  s.instances.set("VI_1", { at: 1, reason: "disk" });
  s.all = { at: 3 };
  const back = parseMaintenance(formatMaintenance(s), "/f");
  expect(back).toEqual({ ok: true, value: s });
  const bad = (text: string) => {
    const r = parseMaintenance(text, "/run/keel/keel.maintenance.json");
    return r.ok ? "ok" : r.error;
  };
  expect(bad("{")).toStartWith("/run/keel/keel.maintenance.json: not JSON: ");
  expect(bad("[]")).toContain(": not a JSON object (fix it, or remove it");
  expect(bad('{"version": 2, "instances": {}}')).toContain('"version" is 2, this keel reads 1');
  expect(bad('{"version": 1}')).toContain('"instances" is not an object');
  expect(bad('{"version": 1, "instances": {"VI_1": {"at": 1, "by": 7}}}')).toContain(
    '"instances"."VI_1": "by" is not a string',
  );
  expect(bad('{"version": 1, "all": 5, "instances": {}}')).toContain('"all": not an object');
});

const vs = (name: string, rss: string[]): VirtualServerStatus => ({
  name,
  scheduler: "rr",
  method: "NAT",
  quorum: 1,
  hysteresis: 0,
  aliveWeight: 1,
  quorumUp: true,
  sorryActive: false,
  suspended: false,
  realServers: rss.map((address) => ({ address, up: true, weight: 1, checkers: [] })),
});

test("VS and RS as keepalived's dumps and keel status name them", () => {
  const list = [
    vs("10.0.0.1:80/TCP", ["192.168.0.2:8080", "192.168.0.3:8080"]),
    vs("10.0.0.1:53/UDP", ["192.168.0.2:53"]),
    vs("10.0.0.1:53/TCP", ["192.168.0.2:53"]),
    vs("fwmark 1", ["192.168.0.9"]),
    vs("[2001:db8::1]:80/TCP", ["[2001:db8::2]:80"]),
  ];
  const hit = (v: string, r: string) => {
    const f = findRealServer(list, v, r);
    return f.ok ? `${f.value.vs} ${f.value.rs}` : f.error;
  };
  expect(hit("10.0.0.1:80", "192.168.0.3:8080")).toBe("10.0.0.1:80/TCP 192.168.0.3:8080");
  expect(hit("10.0.0.1:80/tcp", "192.168.0.2:8080")).toBe("10.0.0.1:80/TCP 192.168.0.2:8080");
  expect(hit("FWM 1", "192.168.0.9")).toBe("fwmark 1 192.168.0.9");
  expect(hit("fwmark:1", "192.168.0.9")).toBe("fwmark 1 192.168.0.9");
  expect(hit("[2001:db8::1]:80", "[2001:db8::2]:80")).toBe("[2001:db8::1]:80/TCP [2001:db8::2]:80");
  expect(hit("10.0.0.1:53", "192.168.0.2:53")).toBe(
    "10.0.0.1:53 names 10.0.0.1:53/UDP and 10.0.0.1:53/TCP: add the protocol",
  );
  expect(hit("10.0.0.1:53/UDP", "192.168.0.2:53")).toBe("10.0.0.1:53/UDP 192.168.0.2:53");
  expect(hit("10.0.0.2:80", "x")).toStartWith("no virtual server 10.0.0.2:80 (known: 10.0.0.1:80/TCP, ");
  expect(hit("10.0.0.1:80", "192.168.0.4:8080")).toBe(
    "10.0.0.1:80/TCP has no real server 192.168.0.4:8080 (its real servers: 192.168.0.2:8080, 192.168.0.3:8080)",
  );
});

test("a uid's user name from passwd; the peer in words", () => {
  const passwd = "root:x:0:0:root:/root:/bin/bash\nops:x:1000:1000::/home/ops:/bin/sh\n";
  expect(userName(1000, passwd)).toBe("ops");
  expect(userName(5, passwd)).toBeUndefined();
  expect(peerText({ uid: 0, pid: 42, user: "root" })).toBe("root (uid 0, pid 42)");
  expect(peerText({ uid: 5, pid: 7 })).toBe("uid 5 (uid 5, pid 7)");
  expect(peerText({})).toBe("unknown peer");
});

test("operation requests: fields of the wrong type are refused by name", () => {
  const err = (line: string) => {
    const r = parseRequest(line);
    return r.ok ? r.value : r.error.message;
  };
  expect(err('{"cmd":"maintenance","on":true,"instances":["VI_1"],"reason":"x"}')).toEqual({
    id: undefined,
    cmd: "maintenance",
    instance: undefined,
    on: true,
    instances: ["VI_1"],
    reason: "x",
  });
  expect(err('{"cmd":"maintenance","on":"yes"}')).toBe('"on" must be true or false');
  expect(err('{"cmd":"maintenance","instances":"VI_1"}')).toBe('"instances" must be a list of strings');
  expect(err('{"cmd":"rs","action":"kill"}')).toBe('"action" must be "drain", "enable" or "weight"');
  expect(err('{"cmd":"rs","action":"weight","weight":-1}')).toBe('"weight" must be an integer 0..65535');
  expect(err('{"cmd":"switchover","release":1}')).toBe('"release" must be true or false');
});

test("keel status shows holds and rs overrides with who and why", () => {
  const st: Status = {
    version: 1,
    keel: "x",
    pid: 1,
    startedAt: 0,
    configFile: "/k.conf",
    instances: [
      {
        name: "VI_1",
        vrid: 51,
        family: 4,
        version: 3,
        state: "BACKUP",
        priority: 150,
        effectivePriority: 150,
        vips: [],
        advertsReceived: 0,
        advertsSent: 0,
        errors: 0,
        faults: [],
        holds: [{ kind: "maintenance", by: "root (uid 0, pid 42)", reason: "disk swap" }],
      },
    ],
    virtualServers: [vs("10.0.0.1:80/TCP", ["192.168.0.2:8080"])],
  };
  const rs = st.virtualServers?.[0]?.realServers[0];
  if (rs) rs.operator = { action: "drain", weight: 0, by: "root (uid 0, pid 43)", at: Date.now() };
  const out = formatStatus(st);
  expect(out).toContain("BACKUP (maintenance)");
  expect(out).toContain("up (drained)");
  expect(out).toContain('VI_1: maintenance on by root (uid 0, pid 42): "disk swap"');
  expect(out).toContain("10.0.0.1:80/TCP 192.168.0.2:8080: drained 0s ago by root (uid 0, pid 43) (keel rs enable)");
});
