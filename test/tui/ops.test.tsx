// Operations in the TUIs behind a confirmation (tui/ops.ts): the whole single-node TUI against
// a fake daemon that records the requests (test/tui/harness.ts), and the fleet's pure keys.
import "./force-color";
import { afterEach, describe, expect, test } from "bun:test";
import type { Status } from "../../src/control/protocol";
import { cellText } from "../../tui/fleet/app";
import { fleetRows, handleFleetKey, initialFleet, reduceFleet } from "../../tui/fleet/model";
import type { KeyPress } from "../../tui/model";
import { sample } from "./fixtures";
import { baseStatus, FakeDaemon, inst, KEY, type Mounted, mount } from "./harness";

let open: Mounted[] = [];
async function start(d: FakeDaemon): Promise<Mounted> {
  const m = await mount(d, { columns: 160 });
  open.push(m);
  return m;
}
afterEach(async () => {
  for (const m of open) {
    m.tui.quit(0);
    await m.tui.done;
  }
  open = [];
});

const lineWith = (frame: string, text: string) => frame.split("\n").find((l) => l.includes(text)) ?? "";
const type = async (m: Mounted, text: string) => {
  for (const ch of text) await m.press(ch);
};
const BY = "root (uid 0, pid 4242)";

describe("instance operations", () => {
  test("s names the action and target; esc sends nothing; enter sends the exact request with the reason; the reply is shown", async () => {
    const d = new FakeDaemon(sample());
    const m = await start(d);
    await m.waitFor("vi_mail");
    await m.press("s");
    await m.waitFor(
      "switchover vi_web (hand MASTER over to a backup)? reason (optional): _  (enter/y send, esc cancel)",
    );
    await type(m, "kernel");
    await m.waitFor("reason (optional): kernel_");
    await m.press(KEY.esc);
    await m.waitFor("cancelled: switchover vi_web");
    expect(d.sent("switchover")).toHaveLength(0);
    await m.press("s");
    await m.waitFor("reason (optional): _");
    // a typed y is part of the reason once one is being typed; backspace edits it
    await type(m, "kernel updatey");
    await m.press(KEY.backspace);
    await m.waitFor("reason (optional): kernel update_  (enter send");
    await m.press(KEY.enter);
    await m.waitFor("switchover vi_web (hand MASTER over to a backup): done");
    expect(d.sent("switchover")).toEqual([{ cmd: "switchover", instance: "vi_web", reason: "kernel update" }]);
  });

  test("y sends without a reason; the daemon's error words are shown; S and M send release and maintenance off", async () => {
    const d = new FakeDaemon(sample());
    d.replies.switchover = (r) =>
      r.release
        ? { ok: false, error: { code: "not-held", message: "vi_db has no switchover hold" } }
        : { ok: false, error: { code: "not-master", message: "vi_db is BACKUP, not MASTER" } };
    const m = await start(d);
    await m.waitFor("vi_mail");
    await m.press("j"); // vi_db
    await m.press("s");
    await m.waitFor("switchover vi_db");
    await m.press("y");
    await m.waitFor("switchover vi_db (hand MASTER over to a backup) failed: not-master: vi_db is BACKUP, not MASTER");
    await m.press("S");
    await m.waitFor("release the switchover hold on vi_db?");
    await m.press(KEY.enter);
    await m.waitFor("failed: not-held: vi_db has no switchover hold");
    await m.press("M");
    await m.waitFor("maintenance OFF for vi_db?");
    await m.press("y");
    await m.waitFor("maintenance OFF for vi_db: done");
    expect(d.sent("switchover")).toEqual([
      { cmd: "switchover", instance: "vi_db" },
      { cmd: "switchover", instance: "vi_db", release: true },
    ]);
    expect(d.sent("maintenance")).toEqual([{ cmd: "maintenance", on: false, instances: ["vi_db"] }]);
  });

  test("maintenance on from the detail view; the operation event is in the Events log; the hold shows in the table and the detail", async () => {
    const d = new FakeDaemon(sample());
    const m = await start(d);
    await m.waitFor("vi_mail");
    await m.press("j");
    await m.press(KEY.enter);
    await m.waitFor("esc back, g GARP");
    await m.press("m");
    await m.waitFor("maintenance ON for vi_db (stays BACKUP)?");
    await type(m, "disk swap");
    await m.press(KEY.enter);
    await m.waitFor("maintenance ON for vi_db (stays BACKUP): done");
    expect(d.sent("maintenance")).toEqual([
      { cmd: "maintenance", on: true, instances: ["vi_db"], reason: "disk swap" },
    ]);
    // what the daemon then says: the event and the hold in status
    const st: Status = structuredClone(d.status);
    st.instances[1]!.holds = [{ kind: "maintenance", by: BY, reason: "disk swap" }];
    d.status = st;
    const line = `maintenance on vi_db by ${BY}: disk swap`;
    d.emit({
      event: "operation",
      at: Date.now(),
      op: "maintenance-on",
      target: "vi_db",
      by: BY,
      reason: "disk swap",
      line,
    });
    const f = await m.waitFor((f) => /held\s+maintenance by root \(uid 0, pid 4242\): disk swap/.test(f));
    expect(f).toContain("vi_db - esc back"); // still in the detail after the confirmation
    await m.press(KEY.esc);
    const t = await m.waitFor((f) => lineWith(f, "vi_db").includes("BACKUP (maintenance)"));
    expect(lineWith(t, "vi_web")).not.toContain("(");
    await m.press("5");
    const e = await m.waitFor("Events]");
    expect(lineWith(e, "operation")).toContain(`${line}, by ${BY}: "disk swap"`);
  });

  test("outside the instances: no instance selected, s says so and sends nothing", async () => {
    const d = new FakeDaemon(sample());
    const m = await start(d);
    await m.press("3"); // trackers
    await m.waitFor("[3 Trackers]");
    await m.press("s");
    await m.waitFor("select an instance first");
    await m.press("y");
    expect(m.frame()).not.toContain("switchover");
    expect(d.sent("switchover")).toHaveLength(0);
  });
});

describe("real-server operations (Virtual servers view)", () => {
  test("w asks for the weight, then a reason; d drains with y; the daemon's not-found is shown; an operator's override is visible", async () => {
    const d = new FakeDaemon(sample());
    d.replies.rs = (r) =>
      r.action === "enable"
        ? { ok: false, error: { code: "not-found", message: "no real server 10.0.0.12:80 in 10.0.0.100:80/TCP" } }
        : { ok: true, result: null };
    const m = await start(d);
    await m.press("4");
    await m.waitFor("10.0.0.11:80");
    await m.press("d"); // on the virtual server's row
    await m.waitFor("select a real server first");
    await m.press("j"); // the first real server
    await m.press("w");
    await m.waitFor("weight of 10.0.0.11:80 of 10.0.0.100:80/TCP: new weight _  (enter next, esc cancel)");
    await type(m, "x5");
    await m.press(KEY.enter);
    await m.waitFor("weight of 10.0.0.11:80 of 10.0.0.100:80/TCP: 5? reason (optional): _");
    await type(m, "half load");
    await m.press(KEY.enter);
    await m.waitFor("weight of 10.0.0.11:80 of 10.0.0.100:80/TCP: 5: done");
    await m.press("d");
    await m.waitFor("drain 10.0.0.11:80 of 10.0.0.100:80/TCP?");
    await m.press("y");
    await m.waitFor("drain 10.0.0.11:80 of 10.0.0.100:80/TCP: done");
    await m.press("j"); // the second
    await m.press("e");
    await m.waitFor("enable 10.0.0.12:80 of 10.0.0.100:80/TCP?");
    await m.press(KEY.esc);
    await m.waitFor("cancelled: enable 10.0.0.12:80");
    await m.press("e");
    await m.press(KEY.enter);
    await m.waitFor("enable 10.0.0.12:80 of 10.0.0.100:80/TCP failed: not-found: no real server");
    const vs = "10.0.0.100:80/TCP";
    expect(d.sent("rs")).toEqual([
      { cmd: "rs", action: "weight", virtualServer: vs, realServer: "10.0.0.11:80", weight: 5, reason: "half load" },
      { cmd: "rs", action: "drain", virtualServer: vs, realServer: "10.0.0.11:80" },
      { cmd: "rs", action: "enable", virtualServer: vs, realServer: "10.0.0.12:80" },
    ]);
    const st: Status = structuredClone(d.status);
    const rs = st.virtualServers![0]!.realServers[0]!;
    rs.operator = { action: "drain", weight: 0, by: BY, reason: "half load", at: Date.now() };
    rs.liveWeight = 0;
    d.status = st;
    const f = await m.waitFor((f) => lineWith(f, "10.0.0.11:80").includes("DRAIN"));
    // the override next to the checker's result, which still runs
    expect(lineWith(f, "10.0.0.11:80")).toContain(`up DRAIN`);
    expect(lineWith(f, "10.0.0.11:80")).toContain("[drained by root: half load] ok");
  });
});

describe("fleet operations (pure keys)", () => {
  const k = (input: string, o: Partial<KeyPress> = {}): KeyPress => ({ input, ...o });
  const views = () =>
    ["h1", "h2"].map((name, n) => ({
      name,
      target: `exec:${name}`,
      status: baseStatus([
        inst("VI_1", n === 0 ? "MASTER" : "BACKUP", {
          vips: ["10.99.0.100/32"],
          holds: n === 1 ? [{ kind: "maintenance" as const, by: BY }] : undefined,
        }),
      ]),
    }));

  test("s on the selected node's cell asks, enter sends over that node; esc sends nothing; holds are in the cells", () => {
    let m = reduceFleet(initialFleet([], 0), { type: "nodes", views: views(), at: 1 });
    m = handleFleetKey(m, k("l")).model; // h2
    let r = handleFleetKey(m, k("s"));
    expect(r.effect).toBeUndefined();
    expect(r.model.mode).toBe("confirm-op");
    expect(r.model.pending?.label).toBe("h2: switchover VI_1 (hand MASTER over to a backup)");
    const esc = handleFleetKey(r.model, k("", { escape: true }));
    expect(esc.effect).toBeUndefined();
    expect(esc.model.mode).toBe("normal");
    r = handleFleetKey(r.model, k("w"));
    r = handleFleetKey(r.model, k("hy"));
    r = handleFleetKey(r.model, k("", { return: true }));
    expect(r.effect).toEqual({
      kind: "op",
      node: "h2",
      request: { cmd: "switchover", instance: "VI_1", reason: "why" },
      label: "h2: switchover VI_1 (hand MASTER over to a backup)",
    });
    const mm = handleFleetKey(handleFleetKey(m, k("M")).model, k("y"));
    expect(mm.effect).toMatchObject({ node: "h2", request: { cmd: "maintenance", on: false, instances: ["VI_1"] } });
    const cells = fleetRows(m)[0]?.cells;
    expect(cellText(cells?.[1])).toBe("BACKUP 100 (maintenance)");
    expect(cellText(cells?.[0])).toBe("MASTER 100");
  });

  test("a reason and its Enter in one input (a paste, or keys read together on a loaded terminal) send, the reason without the line end", () => {
    let m = reduceFleet(initialFleet([], 0), { type: "nodes", views: views(), at: 1 });
    m = handleFleetKey(m, k("m")).model; // h1
    expect(m.pending?.label).toBe("h1: maintenance ON for VI_1 (stays BACKUP)");
    const r = handleFleetKey(m, k("fleet e2e\r"));
    expect(r.effect).toMatchObject({ node: "h1", request: { cmd: "maintenance", on: true, reason: "fleet e2e" } });
    // "\n" too, and a line end alone is Enter; text after the first line end is not typed
    const n = handleFleetKey(handleFleetKey(m, k("a")).model, k("\nb"));
    expect(n.effect).toMatchObject({ request: { reason: "a" } });
    const e = handleFleetKey(m, k("\r"));
    expect(e.effect).toMatchObject({ request: { cmd: "maintenance", on: true } });
    expect((e.effect as { request: { reason?: string } }).request.reason).toBeUndefined();
  });
});
