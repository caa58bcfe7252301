// The whole TUI rendered into a fake terminal against a fake daemon (test/tui/harness.ts).
import "./force-color";
import { afterEach, describe, expect, test } from "bun:test";
import { bfdSession, sample } from "./fixtures";
import { baseStatus, FakeDaemon, inst, KEY, type Mounted, mount, sleep } from "./harness";

let open: Mounted[] = [];
async function start(d = new FakeDaemon(sample()), o: Parameters<typeof mount>[1] = {}): Promise<Mounted> {
  const m = await mount(d, o);
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

describe("instances view", () => {
  test("shows MASTER, BACKUP and FAULT rows with VIPs, priorities and the tracker that moved one", async () => {
    const m = await start(new FakeDaemon(sample()), { columns: 160 });
    const f = await m.waitFor("vi_mail");
    expect(lineWith(f, "vi_web")).toContain("MASTER");
    expect(lineWith(f, "vi_web")).toContain("10.0.0.100/24,10.0.0.101/24");
    // 125 s in state: minutes after the first minute (format.ts age)
    expect(lineWith(f, "vi_web")).toMatch(/ 2m /);
    expect(lineWith(f, "vi_db")).toContain("BACKUP");
    expect(lineWith(f, "vi_db")).toContain("100->90");
    expect(lineWith(f, "vi_db")).toContain("chk_pg-10!");
    expect(lineWith(f, "vi_db")).toContain("10.0.1.100/24");
    expect(lineWith(f, "vi_mail")).toContain("FAULT");
    expect(f).toContain("3 instances: 1 MASTER 1 BACKUP 1 FAULT");
  });

  test("a transition event updates the row, the timeline and the event log", async () => {
    const d = new FakeDaemon(sample());
    const m = await start(d);
    await m.waitFor("vi_db");
    d.emit({
      event: "transition",
      at: Date.now(),
      instance: "vi_db",
      from: "BACKUP",
      to: "MASTER",
      reason: "higher-priority-advert",
    });
    const f = await m.waitFor((f) => lineWith(f, "vi_db").includes("MASTER"));
    expect(f).toContain("3 instances: 2 MASTER 1 FAULT");
    await m.press(KEY.tab); // timeline
    const t = await m.waitFor("Timeline]");
    expect(t).toContain("vi_db BACKUP -> MASTER (higher-priority-advert)");
    await m.press("5"); // events
    const e = await m.waitFor("Events]");
    expect(lineWith(e, "transition")).toContain("vi_db BACKUP -> MASTER (higher-priority-advert)");
  });
});

describe("keys", () => {
  test("tab walks the views in order and wraps", async () => {
    const m = await start();
    await m.waitFor("[1 Instances]");
    for (const v of ["[2 Timeline]", "[3 Trackers]", "[4 Virtual servers]", "[5 Events]", "[6 BFD]", "[1 Instances]"]) {
      await m.press(KEY.tab);
      await m.waitFor(v);
    }
  });

  test("/ filter narrows the event log; esc clears it", async () => {
    const d = new FakeDaemon(sample());
    const m = await start(d);
    // the snapshot has chk_pg failing: the same result again is no change and not logged
    d.emit({ event: "track", at: Date.now(), kind: "script", name: "chk_pg", ok: false, code: 2, ms: 40 });
    d.emit({ event: "track", at: Date.now(), kind: "script", name: "chk_pg", ok: true, code: 0, ms: 40 });
    d.emit({ event: "rx-error", at: Date.now(), instance: "vi_web", from: "10.0.0.9", code: "bad-ttl" });
    d.emit({ event: "priority", at: Date.now(), instance: "vi_db", from: 100, to: 90 });
    await m.press("5");
    await m.waitFor((f) => f.includes("chk_pg") && f.includes("bad-ttl") && f.includes("priority 100 -> 90"));
    await m.press("/");
    for (const c of "ttl") await m.press(c);
    await m.press(KEY.enter);
    const f = await m.waitFor('filter "ttl"');
    expect(f).toContain("bad-ttl");
    expect(f).not.toContain("chk_pg");
    expect(f).not.toContain("priority 100 -> 90");
    expect(f).toContain("(1 of 3");
    await m.press(KEY.esc);
    await m.waitFor((f) => f.includes("chk_pg") && f.includes("bad-ttl"));
  });

  test("enter opens the instance detail, esc goes back", async () => {
    const m = await start();
    await m.waitFor("vi_db");
    await m.press("j"); // vi_db
    await m.press(KEY.enter);
    const f = await m.waitFor("esc back");
    expect(f).toContain("vi_db - esc back");
    expect(f).toContain("configured 100, effective 90");
    expect(f).toMatch(/script\s+chk_pg\s+! FAIL weight -10/);
    expect(f).toContain("VRID 52");
    await m.press(KEY.esc);
    await m.waitFor((f) => !f.includes("esc back") && f.includes("vi_mail"));
  });

  test("r asks first; n cancels; y sends reload and shows the result", async () => {
    const d = new FakeDaemon(sample());
    const m = await start(d);
    await m.press("r");
    await m.waitFor("Reload the daemon's configuration? [y/N]");
    expect(d.sent("reload")).toHaveLength(0);
    await m.press("n");
    await m.waitFor("reload cancelled");
    expect(d.sent("reload")).toHaveLength(0);
    d.replies.reload = () => ({
      ok: false,
      error: { code: "config-error", message: "keepalived.conf:3:1: error[unknown-keyword]: foo" },
    });
    await m.press("r");
    await m.waitFor("[y/N]");
    await m.press("y");
    await m.waitFor("reload failed: keepalived.conf:3:1");
    expect(d.sent("reload")).toHaveLength(1);
    delete d.replies.reload;
    await m.press("r");
    await m.press("y");
    await m.waitFor("configuration reloaded");
    expect(d.sent("reload")).toHaveLength(2);
  });

  test("g sends garp with the selected instance's name", async () => {
    const d = new FakeDaemon(sample());
    const m = await start(d);
    await m.waitFor("vi_mail");
    await m.press(KEY.down);
    await m.press(KEY.down);
    await m.press("g");
    await m.waitFor("GARP sent for vi_mail");
    expect(d.sent("garp")).toEqual([{ cmd: "garp", instance: "vi_mail" }]);
  });

  test("q quits with status 0", async () => {
    const m = await start();
    await m.press("q");
    expect(await m.tui.done).toBe(0);
    open = [];
  });

  test("? shows help; any key closes it", async () => {
    const m = await start(new FakeDaemon(sample()), {
      extraKeys: [{ key: "x", help: "stop the daemon", run: () => "stopping" }],
    });
    await m.press("?");
    const f = await m.waitFor("send gratuitous ARP");
    expect(f).toContain("stop the daemon");
    await m.press("k");
    await m.waitFor("vi_mail");
    await m.press("x");
    await m.waitFor("stopping");
  });
});

describe("other views", () => {
  test("virtual servers: real servers with weights, connections, checker state, latency, quorum, sorry server, suspended", async () => {
    const m = await start(new FakeDaemon(sample()), { columns: 120 });
    await m.press("4");
    const f = await m.waitFor("10.0.0.11:80");
    expect(lineWith(f, "10.0.0.100:80/TCP")).toContain("wrr NAT");
    expect(lineWith(f, "10.0.0.100:80/TCP")).toContain("quorum 1 up");
    expect(lineWith(f, "10.0.0.100:80/TCP")).toContain("sorry 10.0.9.9:80");
    expect(lineWith(f, "10.0.0.100:80/TCP")).toContain("4 conn/s");
    expect(lineWith(f, "10.0.0.11:80")).toMatch(/up\s+3\/3\s+5\/17\s+HTTP_GET up\s+2s ago\s+12ms\s+ok/);
    expect(lineWith(f, "10.0.0.12:80")).toMatch(/! DOWN\s+2\/-\s+-\s+TCP_CHECK DOWN r1/);
    expect(lineWith(f, "10.0.0.12:80")).toContain("connection refused");
    expect(lineWith(f, "fwmark 7")).toContain("quorum 4+-1 LOST");
    expect(lineWith(f, "fwmark 7")).toContain("sorry 10.0.9.10:443 ACTIVE");
    expect(lineWith(f, "fwmark 7")).toContain("SUSPENDED");
  });

  test("virtual servers, wide: a latency sparkline per checker, one bar per completed check", async () => {
    const d = new FakeDaemon(sample());
    const m = await start(d, { columns: 140 });
    await m.press("4");
    await m.waitFor("LAT. TREND");
    const vs = "10.0.0.100:80/TCP";
    const at = Date.now() + 1000;
    for (const [n, ms] of [10, 20, 40, 80].entries())
      d.emit({
        event: "checker",
        at: at + n,
        virtualServer: vs,
        realServer: "10.0.0.11:80",
        type: "HTTP_GET",
        up: true,
        line: "ok",
        ms,
      });
    // the snapshot's 12 ms, then 10, 20, 40, 80 scaled to the slowest
    const f = await m.waitFor((f) => lineWith(f, "10.0.0.11:80").includes("80ms"));
    expect(lineWith(f, "10.0.0.11:80")).toContain(" ..:+@ ");
  });

  test("a real-server event changes the live weight and state", async () => {
    const d = new FakeDaemon(sample());
    const m = await start(d, { columns: 120 });
    await m.press("4");
    await m.waitFor("10.0.0.12:80");
    d.emit({
      event: "real-server",
      at: Date.now(),
      virtualServer: "10.0.0.100:80/TCP",
      realServer: "10.0.0.12:80",
      up: true,
      liveWeight: 2,
    });
    await m.waitFor((f) => /10\.0\.0\.12:80\s+up\s+2\/2/.test(f));
  });

  test("optional sections absent: no virtual servers, no trackers", async () => {
    const m = await start(new FakeDaemon(baseStatus([inst("a", "BACKUP")])));
    await m.press("4");
    await m.waitFor("no virtual servers");
    await m.press("3");
    await m.waitFor("no trackers");
  });

  test("trackers: result, value, age and duration", async () => {
    const m = await start();
    await m.press("3");
    const f = await m.waitFor("chk_pg");
    expect(lineWith(f, "chk_pg")).toMatch(/script\s+chk_pg\s+! FAIL\s+2\s+3s ago\s+41ms/);
    expect(lineWith(f, "eth2")).toContain("! FAIL");
    expect(lineWith(f, "/run/weight")).toMatch(/ok\s+5/);
  });

  test("timeline: advert rates from successive polls become a sparkline", async () => {
    const d = new FakeDaemon(sample());
    const m = await start(d);
    await m.press("2");
    // vi_web sends 10 adverts per 40 ms poll -> a non-zero rate and bars
    for (let n = 0; n < 8; n++) {
      d.status.instances[0]!.advertsSent += 10;
      await sleep(45);
    }
    const f = await m.waitFor((f) => /vi_web.*[.:=+*#%@-]{3}/.test(f));
    expect(lineWith(f, "vi_web")).toMatch(/\d+\/s/);
  });
});

describe("BFD view", () => {
  test("sessions with state, intervals, Detection Time and the instances they move; a bfd event updates the row", async () => {
    const st = sample();
    st.bfd = [bfdSession("bfd_peer", "Up", { since: Date.now() - 65_000 }), bfdSession("bfd_far", "Down")];
    st.bfd[1]!.multihop = true;
    st.instances[1]!.trackers!.push({ kind: "bfd", name: "bfd_peer", weight: -20, ok: true });
    const d = new FakeDaemon(st);
    const m = await start(d, { columns: 160 });
    await m.press("6");
    const f = await m.waitFor("bfd_peer");
    expect(f).toContain("[6 BFD]");
    expect(lineWith(f, "bfd_peer")).toMatch(
      /bfd_peer\s+10\.0\.0\.9\s+10\.0\.0\.1\s+single\s+\* Up\s+Up\s+10\/10\s+30ms x3\s+1m05s ago/,
    );
    expect(lineWith(f, "bfd_peer")).toContain("vi_db-20");
    expect(lineWith(f, "bfd_far")).toMatch(/multi\s+! Down/);
    d.emit({
      event: "bfd",
      at: Date.now(),
      name: "bfd_peer",
      from: "Up",
      to: "Down",
      diag: "control-detection-time-expired",
      remoteDiag: "none",
    });
    const g = await m.waitFor((f) => lineWith(f, "bfd_peer").includes("! Down"));
    expect(lineWith(g, "bfd_peer")).toMatch(/\b4\b/);
  });
});

describe("terminal", () => {
  test("80x24: no line longer than 80 columns, no more than 24 rows, in every view", async () => {
    const many = sample();
    for (let n = 0; n < 60; n++)
      many.instances.push(
        inst(`vi_a_rather_long_instance_name_${n}`, n % 2 ? "BACKUP" : "MASTER", {
          vips: ["192.168.100.200/24", "192.168.100.201/24", "fd00::1/64"],
        }),
      );
    const d = new FakeDaemon(many);
    const m = await start(d, {
      columns: 80,
      rows: 24,
      banner: "running /etc/keepalived/keepalived.conf in this process; x stops it ".repeat(2),
    });
    for (let n = 0; n < 40; n++)
      d.emit({
        event: "checker",
        at: Date.now(),
        virtualServer: "10.0.0.100:80/TCP",
        realServer: "10.0.0.12:80",
        type: "TCP_CHECK",
        up: false,
        line: "x".repeat(200),
      });
    many.bfd = [bfdSession("bfd_a_rather_long_session_name", "Up", { neighbor: "2001:db8:ffff::1234:5678" })];
    for (const key of ["1", "2", "3", "4", "5", "6", "?", "k", "1", KEY.enter]) {
      await m.press(key);
      await sleep(20);
      const lines = m.frame().replace(/\n$/, "").split("\n");
      expect(lines.length).toBeLessThanOrEqual(24);
      for (const l of lines) expect(Array.from(l).length).toBeLessThanOrEqual(80);
    }
    expect(m.frame()).toContain("esc back"); // the last one was the detail view
  });

  test("a resize re-lays the screen out for the new size", async () => {
    const m = await start(new FakeDaemon(sample()), { columns: 140, rows: 30 });
    await m.waitFor("RX/TX");
    m.stdout.resize(60, 12);
    const f = await m.waitFor((f) => !f.includes("RX/TX"));
    const lines = f.replace(/\n$/, "").split("\n");
    expect(lines.length).toBeLessThanOrEqual(12);
    for (const l of lines) expect(Array.from(l).length).toBeLessThanOrEqual(60);
    expect(f).toContain("vi_web");
  });

  test("colour off (NO_COLOR): no colour escapes, states still readable", async () => {
    const withColor = await start(new FakeDaemon(sample()), { color: true });
    await withColor.waitFor("vi_mail");
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for SGR colour codes
    expect(withColor.stdout.lastFrame()).toMatch(/\u001B\[(3[0-7]|9[0-7]|38;)/);
    const noColor = await start(new FakeDaemon(sample()), { color: false });
    const f = await noColor.waitFor("vi_mail");
    const raw = noColor.stdout.lastFrame();
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for SGR colour codes
    expect(raw).not.toMatch(/\u001B\[(3[0-9]|4[0-9]|9[0-7]|10[0-7]|38;|48;|7m)/);
    expect(lineWith(f, "vi_web")).toContain("* MASTER");
    expect(lineWith(f, "vi_db")).toContain("- BACKUP");
    expect(lineWith(f, "vi_mail")).toContain("! FAULT");
    expect(lineWith(f, "vi_web").startsWith(">")).toBe(true); // selection shown by a marker, not inverse video
  });

  test("NO_COLOR in the environment turns colour off", async () => {
    const { colorWanted } = await import("../../tui/run");
    expect(colorWanted({ NO_COLOR: "1" })).toBe(false);
    expect(colorWanted({ NO_COLOR: "" })).toBe(true);
    expect(colorWanted({})).toBe(true);
  });

  test("the daemon going away shows the retry message, and the TUI reconnects", async () => {
    const d = new FakeDaemon(sample());
    const m = await start(d);
    await m.waitFor("vi_web");
    d.kill();
    const f = await m.waitFor("disconnected from /tmp/keel-test.sock, retrying");
    expect(f).toContain("DISCONNECTED");
    // the last known state stays on screen, marked stale, never as live
    expect(lineWith(f, "vi_web")).toContain("was MASTER");
    expect(lineWith(f, "vi_web")).not.toContain("* MASTER");
    expect(f).toContain("STALE: no answer since");
    d.up = true;
    d.status.instances[0]!.state = "BACKUP";
    const back = await m.waitFor((f) => !f.includes("disconnected from") && lineWith(f, "vi_web").includes("BACKUP"));
    expect(back).not.toContain("STALE");
    expect(back).not.toContain("was ");
  });

  test("PRIO is as wide as its widest value: 255->245 is never cut, even at 80 columns", async () => {
    const st = sample();
    st.instances[1]!.priority = 255;
    st.instances[1]!.effectivePriority = 245;
    const m = await start(new FakeDaemon(st), { columns: 80 });
    const f = await m.waitFor("vi_db");
    expect(lineWith(f, "vi_db")).toContain(" 255->245 ");
    expect(f).not.toContain("255->24~");
  });

  test("/ filters the instances by any visible column: state, VRID, interface, VIP", async () => {
    const m = await start();
    await m.waitFor("vi_web");
    const only = async (text: string, name: string) => {
      await m.press("/");
      for (const c of text) await m.press(c);
      await m.press(KEY.enter);
      const f = await m.waitFor(`filter "${text}"`);
      for (const n of ["vi_web", "vi_db", "vi_mail"]) expect(f.includes(n)).toBe(n === name);
      await m.press(KEY.esc);
      await m.waitFor((f) => f.includes("vi_mail") && f.includes("vi_web"));
    };
    await only("FAULT", "vi_mail");
    await only("eth1", "vi_db");
    await only("10.0.0.101", "vi_web");
    await only("100->90", "vi_db");
    // ~30 key presses, each drawn: 4-5 s on the loaded 2-core machine, past bun's 5 s default
  }, 20_000);
});
