// The client's line splitting (src/control/client.ts ReplyRouter): lines cut anywhere by the
// socket's chunks, several to a chunk, events and replies interleaved, and event fields
// checked and trimmed (null optional fields dropped) without copying the parsed object.
import { expect, test } from "bun:test";
import { ReplyRouter } from "../../../src/control/client";
import type { Event, Reply } from "../../../src/control/protocol";

const lines = [
  JSON.stringify({
    event: "transition",
    at: 1,
    instance: "VI_1",
    from: "BACKUP",
    to: "MASTER",
    reason: "r",
    line: "l",
  }),
  JSON.stringify({ ok: true, id: 1, result: { n: "x".repeat(5000) } }),
  JSON.stringify({ event: "no-such-kind", at: 2 }),
  JSON.stringify({ event: "rx-error", at: 3, instance: null, from: "10.0.0.2", code: "auth" }),
  "not json",
  JSON.stringify({ ok: false, id: 2, error: { code: "bad", message: "no" } }),
];
const stream = `${lines.join("\n")}\n`;

function run(cuts: number[]) {
  const r = new ReplyRouter();
  const events: Event[] = [];
  const replies: Reply[] = [];
  r.onEvent((e) => events.push(e));
  void r.expect().then((x) => replies.push(x));
  void r.expect().then((x) => replies.push(x));
  let at = 0;
  for (const c of [...cuts, stream.length]) {
    r.feed(stream.slice(at, c));
    at = c;
  }
  return { events, replies };
}

test("the same events and replies however the stream is cut", async () => {
  const whole = run([]);
  await Bun.sleep(0);
  expect(whole.events.map((e) => e.event)).toEqual(["transition", "rx-error"]);
  expect(whole.events[1]).toEqual({ event: "rx-error", at: 3, from: "10.0.0.2", code: "auth" } as Event);
  expect(whole.replies.map((r) => r.ok)).toEqual([true, false]);
  let seed = 7;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  for (let round = 0; round < 200; round++) {
    const cuts = [...new Set(Array.from({ length: rnd(12) }, () => rnd(stream.length)))].sort((a, b) => a - b);
    const got = run(cuts);
    await Bun.sleep(0);
    expect(got.events).toEqual(whole.events);
    expect(got.replies).toEqual(whole.replies);
  }
});

test("a line not yet ended waits for the rest", () => {
  const r = new ReplyRouter();
  const events: Event[] = [];
  r.onEvent((e) => events.push(e));
  const first = lines[0] ?? "";
  r.feed(first.slice(0, 30));
  r.feed(first.slice(30));
  expect(events).toHaveLength(0);
  r.feed("\n");
  expect(events).toHaveLength(1);
});
