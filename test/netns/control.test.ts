/**
 * The control socket of a running daemon: `keel status`, 100 concurrent subscribers
 * that all see a transition, malformed requests answered with errors and no harm done,
 * the garp command.
 */
import { statSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Client, connect } from "../../src/control/client";
import type { Event, Status } from "../../src/control/protocol";
import { HOOK_TIMEOUT_MS, KEEL, Lab, type Proc, ensureKeel, eventually, instance, sh } from "./harness";

const GLOBAL = "global_defs {\n  router_id test\n}\n";

describe("control socket", () => {
  let lab: Lab;
  let k: Proc;
  let sock: string;
  beforeAll(async () => {
    ensureKeel();
    lab = Lab.create(["h1"]);
    sock = `${lab.dir}/run/keel.sock`;
    k = lab.keel("h1", GLOBAL + instance({ priority: 150 }), ["--control-socket", sock]);
    await k.waitFor(/\(VI_1\) Entering MASTER STATE/, 10_000);
  }, HOOK_TIMEOUT_MS);
  afterAll(() => lab?.destroy());

  test("mode 0600; keel status prints the instance table, --json the protocol's status", () => {
    expect(statSync(sock).mode & 0o777).toBe(0o600);
    const table = sh([KEEL, "status", "--control-socket", sock]);
    const [head, row] = table.trim().split("\n");
    expect(head).toMatch(/^INSTANCE\s+IF\s+VRID\s+STATE\s+PRIO\s+MASTER\s+VIPS\s+LAST TRANSITION\s+RX\/TX\s+ERR$/);
    expect(row).toMatch(
      /^VI_1\s+eth0\s+51\s+MASTER\s+150\s+10\.99\.0\.11\s+10\.99\.0\.100\/32\s+MASTER \(master-down-timer\) \d+s ago\s+0\/\d+\s+0$/,
    );
    const st = JSON.parse(sh([KEEL, "status", "--json", "--control-socket", sock])) as Status;
    expect(st.instances[0]).toMatchObject({
      name: "VI_1",
      state: "MASTER",
      vrid: 51,
      effectivePriority: 150,
      vips: ["10.99.0.100/32"],
    });
    expect(st.pid).toBe(k.pid);
  });

  test("malformed requests get error replies; the daemon carries on", async () => {
    const c = await connect(sock);
    const bad = [
      "not json",
      "[]",
      '{"nocmd":1}',
      '{"cmd":"explode"}',
      '{"cmd":"garp"}',
      '{"cmd":"garp","instance":"NOPE"}',
      '{"cmd":"status","instance":5}',
    ];
    const codes: string[] = [];
    for (const b of bad) {
      // raw lines: the client's request() would serialise them
      const r = await new Promise<unknown>((resolve) => {
        const s = Bun.connect({
          unix: sock,
          socket: {
            data(_s, d) {
              resolve(JSON.parse(d.toString().split("\n")[0]!));
              _s.end();
            },
          },
        });
        void s.then((x) => x.write(`${b}\n`));
      });
      codes.push((r as { ok: boolean; error: { code: string } }).error.code);
    }
    expect(codes).toEqual([
      "bad-json",
      "bad-request",
      "bad-request",
      "unknown-command",
      "bad-request",
      "not-found",
      "bad-request",
    ]);
    // the same connection still answers
    expect(await c.request({ cmd: "hello" })).toEqual({ ok: true, result: { protocol: 1 } });
    const st = await c.request({ cmd: "status" });
    expect(st.ok).toBe(true);
    c.close();
    expect(k.text()).not.toContain("internal error");
  });

  test("100 concurrent subscribers each get the snapshot and then the transition", async () => {
    const clients: Client[] = [];
    const seen: Event[][] = [];
    for (let i = 0; i < 100; i++) {
      const c = await connect(sock);
      const events: Event[] = [];
      c.onEvent((e) => events.push(e));
      clients.push(c);
      seen.push(events);
    }
    const snaps = await Promise.all(clients.map((c, i) => c.request({ id: i, cmd: "subscribe" })));
    expect(snaps.every((s, i) => s.ok && s.id === i && (s.result as Status).instances[0]?.state === "MASTER")).toBe(
      true,
    );
    lab.linkSet("h1", false);
    await k.waitFor(/\(VI_1\) Entering FAULT STATE/, 5_000);
    await eventually(() => {
      for (const events of seen)
        expect(events.find((e) => e.event === "transition")).toMatchObject({
          instance: "VI_1",
          from: "MASTER",
          to: "FAULT",
          reason: "interface-down",
        });
    });
    lab.linkSet("h1", true);
    await k.waitFor(/\(VI_1\) Entering BACKUP STATE/, 5_000);
    for (const c of clients) c.close();
  }, 20_000);

  test("garp sends one more burst from the master", async () => {
    await k.waitFor(
      /\(VI_1\) Entering MASTER STATE/,
      10_000,
      k.lines.findIndex((l) => /Entering FAULT/.test(l.text)),
    );
    const mark = k.lines.length;
    const c = await connect(sock);
    expect(await c.request({ cmd: "garp", instance: "VI_1" })).toEqual({ ok: true, result: null });
    c.close();
    await k.waitFor(/\(VI_1\) Sending\/queueing gratuitous ARPs on eth0 for 10\.99\.0\.100/, 2_000, mark);
  }, 20_000);
});
