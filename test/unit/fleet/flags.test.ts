import { describe, expect, test } from "bun:test";
import type { InstanceStatus, Status } from "../../../src/control/protocol";
import { type FlagKind, type NodeView, snapshot } from "../../../src/fleet/flags";

const CONFIG = { hash: "aaaa", advertInt: 1, auth: "none" as const };

function inst(o: Partial<InstanceStatus> = {}): InstanceStatus {
  return {
    name: "VI_1",
    interface: "eth0",
    vrid: 51,
    family: 4,
    version: 2,
    state: "BACKUP",
    priority: 100,
    effectivePriority: 100,
    vips: ["10.0.0.100/32"],
    advertsReceived: 0,
    advertsSent: 0,
    errors: 0,
    faults: [],
    config: CONFIG,
    ...o,
  };
}

function node(name: string, instances: InstanceStatus[]): NodeView {
  const status: Status = { version: 1, keel: "1.0.0", pid: 1, startedAt: 0, configFile: "/k.conf", instances };
  return { name, target: `exec:${name}`, status };
}

/** a healthy segment: h1 MASTER, h2 and h3 BACKUP, all agreeing */
function healthy(change: (n: string) => Partial<InstanceStatus> = () => ({})): NodeView[] {
  return ["h1", "h2", "h3"].map((n) => node(n, [inst({ state: n === "h1" ? "MASTER" : "BACKUP", ...change(n) })]));
}

const kinds = (views: NodeView[]): FlagKind[] => snapshot(views).flags.map((f) => f.flag);

describe("fleet flags", () => {
  test("a healthy segment raises none; the row has every node and the holder", () => {
    const s = snapshot(healthy((n) => ({ priority: n === "h1" ? 150 : 100 })));
    expect(s.flags).toEqual([]);
    expect(s.rows).toHaveLength(1);
    expect(s.rows[0]).toMatchObject({ key: "4/51", vrid: 51, instances: ["VI_1"], holders: ["h1"] });
    expect(s.rows[0]!.nodes.map((c) => [c.node, c.state, c.priority])).toEqual([
      ["h1", "MASTER", 150],
      ["h2", "BACKUP", 100],
      ["h3", "BACKUP", 100],
    ]);
  });

  test("split-brain: two masters for one VRID", () => {
    const s = snapshot(healthy((n) => (n === "h3" ? { state: "MASTER" } : {})));
    expect(s.flags).toEqual([
      { flag: "split-brain", key: "4/51", nodes: ["h1", "h3"], message: "VRID 51 (IPv4): 2 masters: h1, h3" },
    ]);
    expect(s.rows[0]!.holders).toEqual(["h1", "h3"]);
  });

  test("the same VRID in another family is another virtual router: no split brain", () => {
    const views = healthy();
    views[1]!.status!.instances.push(inst({ name: "VI_6", family: 6, state: "MASTER", vips: ["fd00::1/128"] }));
    expect(kinds(views)).toEqual([]);
    expect(snapshot(views).rows.map((r) => r.key)).toEqual(["4/51", "6/51"]);
  });

  test("no-master: every node BACKUP or FAULT", () => {
    expect(kinds(healthy((n) => ({ state: n === "h2" ? "FAULT" : "BACKUP" })))).toEqual(["no-master"]);
  });

  test("vip-mismatch and config-drift: one node with another VIP set", () => {
    const s = snapshot(
      healthy((n) => (n === "h2" ? { vips: ["10.0.0.101/32"], config: { ...CONFIG, hash: "bbbb" } } : {})),
    );
    expect(s.flags.map((f) => f.flag)).toEqual(["vip-mismatch", "config-drift"]);
    expect(s.flags[0]!.message).toBe("VRID 51 (IPv4): VIP sets differ: h1,h3: 10.0.0.100/32; h2: 10.0.0.101/32");
  });

  test("VIP order does not matter", () => {
    const s = snapshot(
      healthy((n) => ({ vips: n === "h2" ? ["10.0.0.2/32", "10.0.0.1/32"] : ["10.0.0.1/32", "10.0.0.2/32"] })),
    );
    expect(s.flags).toEqual([]);
  });

  test("config-drift alone: the hash differs, nothing shown differs", () => {
    expect(kinds(healthy((n) => (n === "h3" ? { config: { ...CONFIG, hash: "cccc" } } : {})))).toEqual([
      "config-drift",
    ]);
  });

  test("advert-int-mismatch", () => {
    expect(kinds(healthy((n) => (n === "h3" ? { config: { ...CONFIG, hash: "d", advertInt: 2 } } : {})))).toEqual([
      "config-drift",
      "advert-int-mismatch",
    ]);
  });

  test("version-mismatch", () => {
    expect(kinds(healthy((n) => (n === "h3" ? { version: 3, config: { ...CONFIG, hash: "e" } } : {})))).toEqual([
      "config-drift",
      "version-mismatch",
    ]);
  });

  test("auth-mismatch: another type, or the same type with another password", () => {
    const pass = (h: string) => ({ ...CONFIG, hash: h, auth: "PASS" as const, authHash: `${h}00000000` });
    expect(kinds(healthy((n) => (n === "h3" ? { config: pass("f") } : {})))).toEqual(["config-drift", "auth-mismatch"]);
    expect(kinds(healthy((n) => ({ config: pass(n === "h3" ? "f" : "g") })))).toEqual([
      "config-drift",
      "auth-mismatch",
    ]);
    expect(kinds(healthy(() => ({ config: pass("g") })))).toEqual([]);
  });

  test("a daemon without the config field is not compared (no false drift)", () => {
    expect(kinds(healthy((n) => (n === "h3" ? { config: undefined } : {})))).toEqual([]);
  });

  test("unreachable: shown with its reason; its stale status is not in the rows", () => {
    const views = healthy();
    views[0]!.error = "no daemon on /run/keel/keel.sock";
    const s = snapshot(views);
    expect(s.nodes[0]).toEqual({
      name: "h1",
      target: "exec:h1",
      reachable: false,
      error: "no daemon on /run/keel/keel.sock",
      pid: 1,
      keel: "1.0.0",
    });
    // h1's last status said MASTER: with it gone, the others have none
    expect(s.flags.map((f) => f.flag)).toEqual(["unreachable", "no-master"]);
    expect(s.flags[0]!.message).toBe("h1 does not answer: no daemon on /run/keel/keel.sock");
    expect(s.rows[0]!.nodes.map((c) => c.node)).toEqual(["h2", "h3"]);
  });

  test("a node that never answered is in nodes[], unreachable", () => {
    const s = snapshot([...healthy(), { name: "h4", target: "ssh://h4", error: "Permission denied (publickey)." }]);
    expect(s.nodes.map((n) => [n.name, n.reachable])).toEqual([
      ["h1", true],
      ["h2", true],
      ["h3", true],
      ["h4", false],
    ]);
    expect(kinds([...healthy(), { name: "h4", target: "ssh://h4", error: "x" }])).toEqual(["unreachable"]);
  });
});
