/** A node that does not answer is shown with the reason, whatever the transport says. */
import { describe, expect, test } from "bun:test";
import { targetClient } from "../../../src/fleet/client";
import { NodeLink } from "../../../src/fleet/link";
import { parseTarget } from "../../../src/fleet/target";

const FAST = { pollMs: 1000, timeoutMs: 1000, backoffMs: 20, maxBackoffMs: 80 };

/** the link's errors, one per failed attempt, until `n` were seen */
async function errors(target: string, n: number): Promise<string[]> {
  const t = parseTarget(target);
  if (!t.ok) throw new Error(t.error);
  const seen: string[] = [];
  let done: () => void = () => {};
  const enough = new Promise<void>((r) => {
    done = r;
  });
  const link: NodeLink = new NodeLink(
    "n",
    target,
    t.value,
    () => {
      if (link.view.error !== undefined) seen.push(link.view.error);
      if (seen.length >= n) done();
    },
    FAST,
  );
  link.start();
  await enough;
  link.stop();
  return seen;
}

describe("unreachable nodes", () => {
  test("exec: the command's last stderr line is the reason; it is tried again", async () => {
    const e = await errors("exec:echo first >&2; echo 'keel control: no daemon on /x.sock' >&2; exit 1", 2);
    expect(e).toEqual(["keel control: no daemon on /x.sock", "keel control: no daemon on /x.sock"]);
  });

  test("exec: silent exit names the command and its status", async () => {
    expect(await errors("exec:exit 3", 1)).toEqual(["'sh -c exit 3' exited with status 3"]);
  });

  test("exec: a process that never answers is unreachable after the timeout", async () => {
    expect(await errors("exec:sleep 30", 1)).toEqual(["no answer in 1 s"]);
  });

  test("exec: garbage instead of the protocol is no answer either", async () => {
    expect(await errors("exec:echo hello; sleep 30", 1)).toEqual(["no answer in 1 s"]);
  });

  test("unix: a missing socket", async () => {
    expect(await errors("unix:/nonexistent-keel-dir/keel.sock", 1)).toEqual([
      "no daemon on /nonexistent-keel-dir/keel.sock: connect ENOENT",
    ]);
  });
});

describe("events", () => {
  // a node that answers subscribe with a status, then sends an event and stays (a shell
  // speaking the protocol's lines: what `keel control --stdio` writes)
  const STATUS = JSON.stringify({
    ok: true,
    result: { version: 1, keel: "t", pid: 1, startedAt: 0, configFile: "x", instances: [] },
  });
  const EVENT = JSON.stringify({ event: "priority", at: 5, instance: "VI_1", from: 100, to: 90 });
  const script = `exec:read line; echo '${STATUS}'; echo '${EVENT}'; exec sleep 30`;

  test("the link hands each event on (the fleet screen's timeline) and keeps the status", async () => {
    const t = parseTarget(script);
    if (!t.ok) throw new Error(t.error);
    const got: unknown[] = [];
    let done: () => void = () => {};
    const seen = new Promise<void>((r) => {
      done = r;
    });
    const link = new NodeLink(
      "n",
      script,
      t.value,
      () => {},
      FAST,
      (e) => {
        got.push(e);
        done();
      },
    );
    link.start();
    await seen;
    link.stop();
    expect(got).toEqual([{ event: "priority", at: 5, instance: "VI_1", from: 100, to: 90 }]);
    expect(link.view.status?.keel).toBe("t");
  });

  test("targetClient: a request's reply, then the events, over an exec: target", async () => {
    const t = parseTarget(script);
    if (!t.ok) throw new Error(t.error);
    const c = await targetClient(t.value);
    const events: unknown[] = [];
    const first = new Promise<void>((r) =>
      c.onEvent((e) => {
        events.push(e);
        r();
      }),
    );
    const r = await c.request({ cmd: "subscribe" });
    expect(r).toMatchObject({ ok: true, result: { keel: "t" } });
    await first;
    expect(events).toEqual([{ event: "priority", at: 5, instance: "VI_1", from: 100, to: 90 }]);
    c.close();
    // after close, a request fails at once instead of waiting forever
    expect(await c.request({ cmd: "status" })).toMatchObject({ ok: false });
  });
});
