// The fleet screen rendered into a fake terminal, nodes fed as src/fleet/link.ts feeds them,
// and a node opened into the single-node views over a fake daemon.
import "./force-color";
import { afterEach, describe, expect, test } from "bun:test";
import type { Event } from "../../src/control/protocol";
import type { NodeView } from "../../src/fleet/flags";
import { type FleetHandle, startFleetTui } from "../../tui/fleet/run";
import { baseStatus, FakeDaemon, FakeStdin, FakeStdout, inst, KEY, plain, sleep } from "./harness";

const lineWith = (frame: string, text: string) => frame.split("\n").find((l) => l.includes(text)) ?? "";

const view = (name: string, state: string, prio: number): NodeView => ({
  name,
  target: `exec:ssh ${name}`,
  status: baseStatus([inst("VI_1", state, { priority: prio, effectivePriority: prio, vips: ["10.99.0.100/32"] })]),
});

let open: FleetHandle[] = [];
afterEach(async () => {
  for (const h of open) {
    h.quit();
    await h.done;
  }
  open = [];
});

function mountFleet(daemon = new FakeDaemon(baseStatus([inst("VI_1", "BACKUP")]))) {
  const views = [view("h1", "MASTER", 150), view("h2", "BACKUP", 100), view("h3", "BACKUP", 50)];
  let changed = () => {};
  let event: (node: string, e: Event) => void = () => {};
  const stdout = new FakeStdout(110, 30);
  const stdin = new FakeStdin();
  /** the nodes connected to, in order */
  const connected: string[] = [];
  const h = startFleetTui({
    follow(c, e) {
      changed = c;
      event = e;
      return { views: () => views, stop() {} };
    },
    connect: (n) => {
      connected.push(n);
      return daemon.connect("/fleet");
    },
    targetOf: (n) => `exec:ssh ${n}`,
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    debug: true,
    color: true,
    flushMs: 10,
    pollMs: 40,
    retryMs: 30,
    timeoutMs: 200,
  });
  open.push(h);
  const frame = () => plain(stdout.lastFrame());
  return {
    connected,
    views,
    change: () => changed(),
    event: (n: string, e: Event) => event(n, e),
    frame,
    async waitFor(ok: string | ((f: string) => boolean), ms = 2000): Promise<string> {
      const pred = typeof ok === "string" ? (f: string) => f.includes(ok) : ok;
      const end = Date.now() + ms;
      while (Date.now() < end) {
        if (pred(frame())) return frame();
        await sleep(5);
      }
      throw new Error(`timed out; last frame:\n${frame()}`);
    },
    async press(s: string) {
      stdin.write(s);
      await sleep(s === KEY.esc ? 80 : 15);
    },
  };
}

describe("keel fleet screen", () => {
  test("s on the selected node asks; y sends switchover to that node only; its error words are shown", async () => {
    const d = new FakeDaemon(baseStatus([inst("VI_1", "BACKUP")]));
    d.replies.switchover = () => ({ ok: false, error: { code: "not-master", message: "VI_1 is BACKUP, not MASTER" } });
    const f = mountFleet(d);
    await f.waitFor("3 nodes, all answer");
    await f.press("l"); // h2
    await f.waitFor("[h2 up]");
    await f.press("s");
    await f.waitFor("h2: switchover VI_1 (hand MASTER over to a backup)? reason (optional): _");
    await f.press(KEY.esc);
    await f.waitFor("cancelled: h2: switchover VI_1");
    expect(d.sent("switchover")).toHaveLength(0);
    await f.press("s");
    await f.press("y");
    await f.waitFor(
      "h2: switchover VI_1 (hand MASTER over to a backup) failed: not-master: VI_1 is BACKUP, not MASTER",
    );
    expect(d.sent("switchover")).toEqual([{ cmd: "switchover", instance: "VI_1" }]);
    expect(f.connected).toEqual(["h2"]);
  });

  test("all nodes, a row per VRID with each node's state, the holder, no flags", async () => {
    const f = mountFleet();
    const s = await f.waitFor("VI_1");
    expect(s).toContain("keel fleet | 3 nodes, all answer | 1 VRIDs | no flags");
    expect(s).toMatch(/nodes: \[h1 up\] h2 up h3 up/);
    expect(s).toMatch(/VRID\s+INSTANCE\s+MASTER\s+\[h1\]\s+h2\s+h3\s+VIPS/);
    expect(lineWith(s, "4/51")).toMatch(/4\/51 VI_1\s+h1\s+MASTER 150 BACKUP 100 BACKUP 50 10\.99\.0\.100\/32/);
  });

  test("a split brain is flagged, its transition in the timeline; a dead node's cell goes stale", async () => {
    const f = mountFleet();
    await f.waitFor("VI_1");
    f.views[1]!.status!.instances[0]!.state = "MASTER";
    f.event("h2", {
      event: "transition",
      at: Date.now(),
      instance: "VI_1",
      from: "BACKUP",
      to: "MASTER",
      reason: "master-down-timer",
    });
    f.change();
    let s = await f.waitFor("split-brain");
    expect(s).toContain("1 FLAG");
    expect(s).toContain("! split-brain: VRID 51 (IPv4): 2 masters: h1, h2");
    expect(lineWith(s, "4/51")).toMatch(/h1,h2\s+MASTER 150 MASTER 100 BACKUP 50/);
    expect(lineWith(s, "BACKUP -> MASTER")).toMatch(/\d\d:\d\d:\d\d h2\s+VI_1 BACKUP -> MASTER \(master-down-timer\)/);
    f.views[0]!.error = "keel control: no daemon on /run/keel/keel.sock";
    f.change();
    s = await f.waitFor("UNREACHABLE");
    expect(s).toContain("h1 UNREACHABLE (keel control: no daemon on /run/keel/keel.sock)");
    expect(lineWith(s, "4/51")).toMatch(/h2\s+was MASTER 150 MASTER 100 BACKUP 50/);
    expect(s).toContain("! unreachable: h1 does not answer");
  });

  test("enter opens the selected node in the single-node views; q comes back to the fleet", async () => {
    const d = new FakeDaemon(baseStatus([inst("VI_1", "BACKUP", { priority: 100 })]));
    const f = mountFleet(d);
    await f.waitFor("VI_1");
    await f.press("l");
    await f.waitFor("[h2 up]");
    await f.press(KEY.enter);
    let s = await f.waitFor((s) => s.includes("keel fleet > h2 | connected") && s.includes("- BACKUP"));
    expect(s).toContain("[1 Instances]");
    expect(s).toContain("q back to the fleet");
    expect(d.sent("subscribe")).toHaveLength(1);
    await f.press("q");
    s = await f.waitFor("nodes: h1 up [h2 up] h3 up");
    expect(s).toContain("4/51");
  });
});
