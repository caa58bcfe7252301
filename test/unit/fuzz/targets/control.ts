/**
 * The control protocol's lines (src/control/protocol.ts), both directions:
 * - control-request: what a client writes, as the daemon decodes it (parseRequest);
 * - control-server-line: what the daemon writes, as the client decodes it (parseServerLine).
 * A corpus file is one line, without its newline. Inputs: JSON built to look like requests,
 * replies and events (right keys, wrong types), any JSON value, deep nesting, and raw bytes.
 */
import fc from "fast-check";
import { COMMANDS, parseRequest, parseServerLine } from "../../../../src/control/protocol";
import { randomBytes, text, utf8 } from "../gen";
import { type Target, checkResult, expectThat, hit, noThrow } from "../harness";

const EVENTS = ["transition", "priority", "track", "rx-error", "notify", "checker", "real-server", "quorum"];
const FIELDS = [
  "id",
  "cmd",
  "instance",
  "ok",
  "result",
  "error",
  "code",
  "message",
  "event",
  "at",
  "from",
  "to",
  "reason",
  "kind",
  "name",
  "state",
  "priority",
  "virtualServer",
  "realServer",
  "type",
  "up",
  "line",
  "liveWeight",
  "aliveWeight",
  "value",
  "ms",
  "__proto__",
  "constructor",
];

/** a value of any JSON type, biased to the types the fields want */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom(...COMMANDS, ...EVENTS, "VI_1", ""),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.dictionary(fc.constantFrom("code", "message"), fc.oneof(fc.string({ maxLength: 8 }), fc.integer())),
  fc.array(fc.integer(), { maxLength: 3 }),
);

/** an object with protocol keys; valid ones when the values happen to fit */
const shaped = fc.dictionary(fc.constantFrom(...FIELDS), anyValue, { maxKeys: 8 }).map((o) => JSON.stringify(o));

/** a well-formed line with one field changed: the decoder's checks one at a time */
const nearlyValid = fc
  .tuple(
    fc.constantFrom(
      { id: 1, cmd: "status" },
      { cmd: "garp", instance: "VI_1" },
      { id: 2, ok: true, result: { instances: [] } },
      { ok: false, error: { code: "not-found", message: "no" } },
      { event: "transition", at: 1, instance: "VI_1", from: "BACKUP", to: "MASTER", reason: "master-down-timer" },
      { event: "track", at: 1, kind: "script", name: "chk", ok: true },
      { event: "rx-error", at: 1, from: "10.0.0.1", code: "bad-ttl" },
      { event: "quorum", at: 1, virtualServer: "vs", up: false, aliveWeight: 0 },
    ),
    fc.constantFrom(...FIELDS),
    fc.option(anyValue),
  )
  .map(([base, key, v]) => {
    const o: Record<string, unknown> = { ...base };
    if (v === null) delete o[key];
    else o[key] = v;
    return JSON.stringify(o);
  });

const deep = fc
  .tuple(fc.constantFrom("[", '{"a":', '{"event":'), fc.integer({ min: 1, max: 20_000 }))
  .map(([open, n]) => open.repeat(n));

const lines = (): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    { weight: 3, arbitrary: shaped.map(utf8) },
    { weight: 3, arbitrary: nearlyValid.map(utf8) },
    { weight: 1, arbitrary: fc.json({ maxDepth: 4 }).map(utf8) },
    { weight: 1, arbitrary: deep.map(utf8) },
    { weight: 1, arbitrary: randomBytes(128) },
  );

export const controlRequest: Target = {
  name: "control-request",
  budgetMs: 500,
  ciRuns: 1000,
  mustReach: ["ok", "bad-json", "bad-request", "unknown-command"],
  reached: new Map(),
  run(input) {
    const r = noThrow("parseRequest", () => parseRequest(text(input)));
    if (checkResult("parseRequest", r, new Set(["too-long", "bad-json", "bad-request", "unknown-command"]))) {
      const v = r.value as { cmd: unknown; instance?: unknown };
      expectThat(COMMANDS.includes(v.cmd as never), `cmd ${String(v.cmd)}`);
      expectThat(v.instance === undefined || typeof v.instance === "string", "instance is not a string");
      hit(controlRequest, "ok");
    } else hit(controlRequest, r.error.code);
  },
  inputs: lines,
};

export const controlServerLine: Target = {
  name: "control-server-line",
  budgetMs: 500,
  ciRuns: 1000,
  mustReach: ["reply", "event", "bad-json", "bad-reply", "unknown-event"],
  reached: new Map(),
  run(input) {
    const r = noThrow("parseServerLine", () => parseServerLine(text(input)));
    if (!checkResult("parseServerLine", r, new Set(["bad-json", "bad-reply", "unknown-event"]))) {
      hit(controlServerLine, r.error.code);
      return;
    }
    const v = r.value as {
      event?: Record<string, unknown>;
      reply?: { ok: unknown; error?: { code: unknown; message: unknown } };
    };
    if (v.event) {
      expectThat(typeof v.event.event === "string" && typeof v.event.at === "number", "an event without kind or time");
      // the optional fields the TUI reads are a value or absent, never null
      const nulls = ["ok", "value", "code", "ms", "instance", "liveWeight"].filter((k) => v.event?.[k] === null);
      expectThat(nulls.length === 0, `an event with ${nulls.join(", ")} null`);
      hit(controlServerLine, "event");
    } else {
      const rep = v.reply;
      expectThat(rep !== undefined && typeof rep.ok === "boolean", "a reply without ok");
      if (rep.ok === false)
        expectThat(
          typeof rep.error?.code === "string" && typeof rep.error.message === "string",
          "an error reply without code or message",
        );
      hit(controlServerLine, "reply");
    }
  },
  inputs: lines,
};
