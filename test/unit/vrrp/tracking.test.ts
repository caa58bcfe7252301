/**
 * Tracker rules (src/vrrp/tracking.ts) against keepalived's vrrp_track.c,
 * vrrp_scheduler.c (vrrp_script_child_thread), track_file.c and track_process.c:
 * rise/fall step by step, init / init_fail / reload, track_file parsing and values,
 * process quorum with delays, weights with reverse and weight 0, and priority clamping.
 */
import { describe, expect, test } from "bun:test";
import { PRIO_OWNER } from "../../../src/base/vrrp";
import type { TrackInterface, TrackRef } from "../../../src/config/vrrp/model";
import {
  type Contribution,
  contribution,
  effectivePriority,
  ProcessTracker,
  parseTrackFileValue,
  resolveTrackWeight,
  type ScriptInitState,
  type ScriptStatus,
  trackFileStatus,
  trackFileUpdateStatus,
  ScriptTracker,
  TrackFileState,
  totalPriority,
} from "../../../src/vrrp/tracking";

// ---------------------------------------------------------------------------
// vrrp_script rise/fall

/** one report: T = success, F = failure; then [changed, result, status] after it */
type Step = [ok: "T" | "F", changed: boolean, result: number, status: ScriptStatus];

interface ScriptCase {
  name: string;
  rise: number;
  fall: number;
  initFail?: boolean;
  reload?: boolean;
  /** result and status before the first report */
  start: [result: number, status: ScriptStatus];
  steps: Step[];
}

const scriptCases: ScriptCase[] = [
  {
    name: "rise 1 fall 1: every result flips",
    rise: 1,
    fall: 1,
    start: [0, "init"],
    steps: [
      ["T", true, 1, "up"],
      ["T", false, 1, "up"],
      ["F", true, 0, "down"],
      ["F", false, 0, "down"],
      ["T", true, 1, "up"],
    ],
  },
  {
    name: "init: one success is enough (result starts at rise-1)",
    rise: 3,
    fall: 2,
    start: [2, "init"],
    steps: [
      ["T", true, 4, "up"],
      ["T", false, 4, "up"],
    ],
  },
  {
    name: "init: one failure is enough too, then rise successes to come up",
    rise: 3,
    fall: 2,
    start: [2, "init"],
    steps: [
      ["F", true, 0, "down"],
      ["T", false, 1, "down"],
      ["T", false, 2, "down"],
      ["T", true, 4, "up"],
    ],
  },
  {
    name: "fall 2: count down while OK, a success refills the counter",
    rise: 3,
    fall: 2,
    start: [2, "init"],
    steps: [
      ["T", true, 4, "up"],
      ["F", false, 3, "up"],
      ["T", false, 4, "up"],
      ["F", false, 3, "up"],
      ["F", true, 0, "down"],
      ["F", false, 0, "down"],
    ],
  },
  {
    name: "a failure while rising starts the rise again from 0",
    rise: 3,
    fall: 1,
    start: [2, "init"],
    steps: [
      ["F", true, 0, "down"],
      ["T", false, 1, "down"],
      ["T", false, 2, "down"],
      ["F", false, 0, "down"],
      ["T", false, 1, "down"],
      ["T", false, 2, "down"],
      ["T", true, 3, "up"],
      ["F", true, 0, "down"],
    ],
  },
  {
    name: "fall 3 rise 1",
    rise: 1,
    fall: 3,
    start: [0, "init"],
    steps: [
      ["T", true, 3, "up"],
      ["F", false, 2, "up"],
      ["F", false, 1, "up"],
      ["F", true, 0, "down"],
      ["T", true, 3, "up"],
    ],
  },
  {
    name: "init_fail: starts failed (result 0), the first failure changes nothing",
    rise: 2,
    fall: 2,
    initFail: true,
    start: [0, "down"],
    steps: [
      ["F", false, 0, "down"],
      ["T", false, 1, "down"],
      ["T", true, 3, "up"],
    ],
  },
  {
    name: "init_fail with rise 1: one success brings it up",
    rise: 1,
    fall: 1,
    initFail: true,
    start: [0, "down"],
    steps: [["T", true, 1, "up"]],
  },
  {
    name: "added at reload: init-reload until the first result, then like init",
    rise: 2,
    fall: 2,
    reload: true,
    start: [1, "init-reload"],
    steps: [
      ["F", true, 0, "down"],
      ["T", false, 1, "down"],
      ["T", true, 3, "up"],
    ],
  },
  {
    name: "added at reload, first result a success",
    rise: 2,
    fall: 1,
    reload: true,
    start: [1, "init-reload"],
    steps: [["T", true, 2, "up"]],
  },
];

describe("ScriptTracker (vrrp_script_child_thread)", () => {
  for (const c of scriptCases) {
    test(c.name, () => {
      const t = new ScriptTracker({ rise: c.rise, fall: c.fall, initFail: c.initFail, reload: c.reload });
      expect([t.result, t.status]).toEqual(c.start);
      expect(t.ok).toBe(false);
      expect(t.initState).toBe(c.initFail ? "failed" : c.reload ? "init-reload" : "init");
      c.steps.forEach(([ok, changed, result, status], i) => {
        const got = t.report(ok === "T");
        expect({ step: i, changed: got, result: t.result, status: t.status, ok: t.ok }).toEqual({
          step: i,
          changed,
          result,
          status,
          ok: status === "up",
        });
        expect(t.initState).toBe("done");
      });
    });
  }

  test("rise and fall must be integers >= 1", () => {
    expect(() => new ScriptTracker({ rise: 0, fall: 1 })).toThrow(RangeError);
    expect(() => new ScriptTracker({ rise: 1, fall: 0 })).toThrow(RangeError);
    expect(() => new ScriptTracker({ rise: 1.5, fall: 1 })).toThrow(RangeError);
  });
});

describe("ScriptTracker.afterReload (clear_diff_script)", () => {
  /** build a tracker with rise/fall and a report sequence */
  const make = (rise: number, fall: number, seq: string) => {
    const t = new ScriptTracker({ rise, fall });
    for (const ch of seq) t.report(ch === "T");
    return t;
  };

  const cases: {
    name: string;
    prev: ScriptTracker;
    rise: number;
    fall: number;
    result: number;
    initState: ScriptInitState;
    status: ScriptStatus;
  }[] = [
    {
      name: "never ran: stays init, result new rise-1",
      prev: make(2, 2, ""),
      rise: 4,
      fall: 1,
      result: 3,
      initState: "init",
      status: "init",
    },
    {
      name: "added at the last reload, never ran: stays init-reload",
      prev: new ScriptTracker({ rise: 2, fall: 2, reload: true }),
      rise: 3,
      fall: 1,
      result: 2,
      initState: "init-reload",
      status: "init-reload",
    },
    { name: "KO at 0 stays 0", prev: make(3, 1, "F"), rise: 5, fall: 1, result: 0, initState: "done", status: "down" },
    {
      name: "KO one below rise stays one below the new rise",
      prev: make(3, 1, "FTT"),
      rise: 5,
      fall: 1,
      result: 4,
      initState: "done",
      status: "down",
    },
    {
      name: "KO distance clamped at 0",
      prev: make(5, 1, "FT"),
      rise: 2,
      fall: 1,
      result: 0,
      initState: "done",
      status: "down",
    },
    {
      name: "OK with a full counter stays full",
      prev: make(2, 3, "T"),
      rise: 1,
      fall: 5,
      result: 5,
      initState: "done",
      status: "up",
    },
    {
      name: "OK partway keeps its distance above rise",
      prev: make(2, 3, "TF"),
      rise: 2,
      fall: 5,
      result: 3,
      initState: "done",
      status: "up",
    },
    {
      name: "OK partway clamped to the new top",
      prev: make(2, 4, "TF"),
      rise: 2,
      fall: 1,
      result: 2,
      initState: "done",
      status: "up",
    },
    {
      name: "init_fail never run: result 0 carried, done",
      prev: new ScriptTracker({ rise: 2, fall: 2, initFail: true }),
      rise: 2,
      fall: 2,
      result: 0,
      initState: "done",
      status: "down",
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const t = ScriptTracker.afterReload(c.prev, { rise: c.rise, fall: c.fall });
      expect({ result: t.result, initState: t.initState, status: t.status }).toEqual({
        result: c.result,
        initState: c.initState,
        status: c.status,
      });
    });
  }
});

// ---------------------------------------------------------------------------
// track_file

describe("parseTrackFileValue (process_track_file: strtol(buf, NULL, 0))", () => {
  const ok: [string, Uint8Array | string | null, number][] = [
    ["missing / unreadable", null, 0],
    ["empty", "", 0],
    ["plain", "5", 5],
    ["trailing newline", "42\n", 42],
    ["leading white space", " \t\n\v\f\r 3", 3],
    ["negative", "  -12", -12],
    ["plus sign", "+7", 7],
    ["hex", "0x1f", 31],
    ["hex upper", "0X1F\n", 31],
    ["negative hex", "-0x10", -16],
    ["octal", "010", 8],
    ["octal stops at 9", "09", 0],
    ["0x without hex digits", "0x", 0],
    ["0x then non-hex", "0xg", 0],
    ["no digits", "abc", 0],
    ["stops at the first non-digit", "12abc", 12],
    ["decimal point", "3.9", 3],
    ["sign alone", "-", 0],
    ["space after sign", "- 5", 0],
    ["minus zero", "-0", 0],
    ["INT32_MAX", "2147483647", 2147483647],
    ["INT32_MAX + 1 (keepalived's bound)", "2147483648", 2147483648],
    ["INT32_MIN", "-2147483648", -2147483648],
    ["NUL ends the string", "1\u00002", 1],
    ["bytes", new Uint8Array([0x20, 0x2d, 0x39, 0x0a]), -9],
    ["only 127 bytes are read: digits beyond are lost", `${" ".repeat(127)}5`, 0],
    ["127th byte is read", `${" ".repeat(126)}5`, 5],
    ["number cut at 127 bytes", `${" ".repeat(125)}567`, 56],
  ];
  for (const [name, input, value] of ok) {
    test(name, () => {
      const r = parseTrackFileValue(input);
      expect(r).toEqual({ ok: true, value });
      if (r.ok) expect(Object.is(r.value, -0)).toBe(false);
    });
  }

  const bad: [string, string][] = [
    ["INT32_MAX + 2", "2147483649"],
    ["below INT32_MIN", "-2147483649"],
    ["beyond a long (ERANGE)", "99999999999999999999999"],
    ["huge negative", "-99999999999999999999999"],
    ["huge hex", "0xffffffffffffffffffff"],
  ];
  for (const [name, input] of bad) {
    test(`ignored: ${name}`, () => {
      const r = parseTrackFileValue(input);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe("out-of-range");
    });
  }
});

describe("TrackFileState", () => {
  test("value changes, repeats and ignored reads", () => {
    const f = new TrackFileState();
    const steps: [op: () => boolean, changed: boolean, value: number][] = [
      [() => f.read("5\n"), true, 5],
      [() => f.read("5"), false, 5],
      [() => f.read("0x05"), false, 5],
      [() => f.read("junk"), true, 0],
      [() => f.read("-7"), true, -7],
      [() => f.read("99999999999"), false, -7],
      [() => f.removed(), true, 0],
      [() => f.removed(), false, 0],
      [() => f.read("3"), true, 3],
      [() => f.read(null), true, 0],
    ];
    steps.forEach(([op, changed, value], i) => {
      expect({ i, changed: op(), value: f.value }).toEqual({ i, changed, value });
    });
  });

  test("initial value (read at start-up, init=true)", () => {
    expect(new TrackFileState(12).value).toBe(12);
    expect(new TrackFileState().value).toBe(0);
  });
});

// ---------------------------------------------------------------------------
// vrrp_track_process

type ProcOp = ["matched" | "forked" | "exited" | "unmatched" | "timeout", number] | ["resync", number, number];

/** [op, changed, up, count, pollTimeout] */
type ProcStep = [op: ProcOp, changed: boolean, up: boolean, count: number, timeout: number | undefined];

interface ProcCase {
  name: string;
  opts: { quorum: number; quorumMax?: number; forkDelay?: number; terminateDelay?: number };
  initial: number;
  up: boolean;
  steps: ProcStep[];
}

const procCases: ProcCase[] = [
  {
    name: "quorum 2..3, no delays: crossings in both directions",
    opts: { quorum: 2, quorumMax: 3 },
    initial: 0,
    up: false,
    steps: [
      [["matched", 0], false, false, 1, undefined],
      [["matched", 0], true, true, 2, undefined],
      [["forked", 0], false, true, 3, undefined],
      [["forked", 0], true, false, 4, undefined],
      [["exited", 0], true, true, 3, undefined],
      [["unmatched", 0], false, true, 2, undefined],
      [["exited", 0], true, false, 1, undefined],
      [["exited", 0], false, false, 0, undefined],
      [["exited", 0], false, false, 0, undefined],
    ],
  },
  {
    name: "start-up count decides at once",
    opts: { quorum: 2 },
    initial: 5,
    up: true,
    steps: [
      [["exited", 0], false, true, 4, undefined],
      [["forked", 0], false, true, 5, undefined],
    ],
  },
  {
    name: "quorum_max 0: up only while none runs (quorum becomes 0)",
    opts: { quorum: 1, quorumMax: 0 },
    initial: 0,
    up: true,
    steps: [
      [["matched", 0], true, false, 1, undefined],
      [["forked", 0], false, false, 2, undefined],
      [["exited", 0], false, false, 1, undefined],
      [["unmatched", 0], true, true, 0, undefined],
    ],
  },
  {
    name: "fork_delay: quorum gained by a fork waits, then the timer decides",
    opts: { quorum: 2, forkDelay: 2 },
    initial: 1,
    up: false,
    steps: [
      [["forked", 1000], false, false, 2, 3000],
      [["timeout", 2999], false, false, 2, 3000],
      [["timeout", 3000], true, true, 2, undefined],
    ],
  },
  {
    name: "fork_delay: an exit before the timer cancels it, nothing changes",
    opts: { quorum: 2, forkDelay: 2 },
    initial: 1,
    up: false,
    steps: [
      [["forked", 1000], false, false, 2, 3000],
      [["exited", 1500], false, false, 1, undefined],
      [["timeout", 3000], false, false, 1, undefined],
    ],
  },
  {
    name: "fork_delay does not apply to exec/rename matches",
    opts: { quorum: 1, forkDelay: 2 },
    initial: 0,
    up: false,
    steps: [[["matched", 0], true, true, 1, undefined]],
  },
  {
    name: "terminate_delay: quorum lost by an exit waits, then the timer decides",
    opts: { quorum: 1, terminateDelay: 5 },
    initial: 1,
    up: true,
    steps: [
      [["exited", 0], false, true, 0, 5000],
      [["timeout", 4999], false, true, 0, 5000],
      [["timeout", 5000], true, false, 0, undefined],
    ],
  },
  {
    name: "terminate_delay: a new match before the timer cancels it (restart without a flap)",
    opts: { quorum: 1, terminateDelay: 5 },
    initial: 1,
    up: true,
    steps: [
      [["exited", 0], false, true, 0, 5000],
      [["matched", 1000], false, true, 1, undefined],
      [["timeout", 5000], false, true, 1, undefined],
    ],
  },
  {
    name: "terminate_delay: a fork regaining quorum cancels it and is not delayed by fork_delay",
    opts: { quorum: 2, terminateDelay: 5, forkDelay: 1 },
    initial: 2,
    up: true,
    steps: [
      [["exited", 0], false, true, 1, 5000],
      [["forked", 100], false, true, 2, undefined],
    ],
  },
  {
    name: "terminate_delay does not apply to a process that stops matching",
    opts: { quorum: 1, terminateDelay: 5 },
    initial: 1,
    up: true,
    steps: [[["unmatched", 0], true, false, 0, undefined]],
  },
  {
    name: "unmatched cancels a pending fork timer and decides at once",
    opts: { quorum: 2, quorumMax: 2, forkDelay: 1 },
    initial: 2,
    up: true,
    steps: [
      [["forked", 0], false, true, 3, 1000],
      [["unmatched", 100], false, true, 2, undefined],
    ],
  },
  {
    name: "two fork timers: the first firing clears the pointer, the second can no longer be cancelled",
    opts: { quorum: 2, quorumMax: 2, forkDelay: 1 },
    initial: 1,
    up: false,
    steps: [
      [["forked", 0], false, false, 2, 1000],
      [["forked", 500], false, false, 3, 1000],
      [["timeout", 1000], false, false, 3, 1500],
      [["exited", 1200], true, true, 2, 1500],
      [["timeout", 1500], false, true, 2, undefined],
    ],
  },
  {
    name: "resync: a count change on the same side of the boundaries changes nothing",
    opts: { quorum: 1 },
    initial: 3,
    up: true,
    steps: [[["resync", 5, 0], false, true, 5, undefined]],
  },
  {
    name: "resync: crossing without delays applies at once",
    opts: { quorum: 2, quorumMax: 4 },
    initial: 2,
    up: true,
    steps: [
      [["resync", 5, 0], true, false, 5, undefined],
      [["resync", 3, 0], true, true, 3, undefined],
      [["resync", 0, 0], true, false, 0, undefined],
    ],
  },
  {
    name: "resync: crossing with delays arms the timers",
    opts: { quorum: 2, forkDelay: 1, terminateDelay: 2 },
    initial: 2,
    up: true,
    steps: [
      [["resync", 1, 0], false, true, 1, 2000],
      [["timeout", 2000], true, false, 1, undefined],
      [["resync", 3, 3000], false, false, 3, 4000],
      [["timeout", 4000], true, true, 3, undefined],
    ],
  },
  {
    name: "resync cancels a pending timer even when the count is unchanged (keepalived)",
    opts: { quorum: 1, terminateDelay: 1 },
    initial: 1,
    up: true,
    steps: [
      [["exited", 0], false, true, 0, 1000],
      [["resync", 0, 10], false, true, 0, undefined],
      [["timeout", 1000], false, true, 0, undefined],
    ],
  },
];

describe("ProcessTracker (track_process.c)", () => {
  for (const c of procCases) {
    test(c.name, () => {
      const p = new ProcessTracker(c.opts, c.initial);
      expect([p.up, p.count, p.pollTimeout()]).toEqual([c.up, c.initial, undefined]);
      c.steps.forEach(([op, changed, up, count, timeout], i) => {
        let got: boolean;
        if (op[0] === "resync") got = p.resync(op[1], op[2]);
        else if (op[0] === "timeout") got = p.handleTimeout(op[1]);
        else got = p[op[0]](op[1]);
        expect({ i, changed: got, up: p.up, count: p.count, timeout: p.pollTimeout() }).toEqual({
          i,
          changed,
          up,
          count,
          timeout,
        });
      });
    });
  }

  test("quorum bounds", () => {
    const p = new ProcessTracker({ quorum: 2, quorumMax: 3 });
    expect([0, 1, 2, 3, 4].map((n) => p.inQuorum(n))).toEqual([false, false, true, true, false]);
    const unlimited = new ProcessTracker({ quorum: 1 });
    expect(unlimited.quorumMax).toBe(Number.POSITIVE_INFINITY);
    expect(unlimited.inQuorum(65535)).toBe(true);
    const none = new ProcessTracker({ quorum: 1, quorumMax: 0 });
    expect([none.quorum, none.inQuorum(0), none.inQuorum(1)]).toEqual([0, true, false]);
  });
});

// ---------------------------------------------------------------------------
// weights

describe("resolveTrackWeight (alloc_track_script / _file / _process / _bfd)", () => {
  const own = { weight: -5, weightReverse: true };
  const cases: [
    string,
    { weight?: number; reverse?: boolean },
    typeof own | undefined,
    { weight: number; reverse: boolean },
  ][] = [
    ["bare line: the object's weight and reverse", {}, own, { weight: -5, reverse: true }],
    ["weight N keeps the object's reverse", { weight: 10 }, own, { weight: 10, reverse: true }],
    ["weight N noreverse", { weight: 10, reverse: false }, own, { weight: 10, reverse: false }],
    [
      "weight N reverse",
      { weight: 10, reverse: true },
      { weight: 3, weightReverse: false },
      { weight: 10, reverse: true },
    ],
    [
      "weight 0 on the line overrides a weighted object",
      { weight: 0 },
      { weight: 20, weightReverse: false },
      { weight: 0, reverse: false },
    ],
    ["no defaults (track_interface)", { weight: 7, reverse: true }, undefined, { weight: 7, reverse: true }],
    ["nothing at all", {}, undefined, { weight: 0, reverse: false }],
  ];
  for (const [name, ref, o, want] of cases) test(name, () => expect(resolveTrackWeight(ref, o)).toEqual(want));
});

const C = (delta: number, fault = false, init = false): Contribution => ({ delta, fault, init });

describe("contribution: script", () => {
  // [status, weight, reverse, expected]
  const cases: [ScriptStatus, number, boolean, Contribution][] = [
    // weight 0: FAULT while failing; reverse: FAULT while succeeding
    ["up", 0, false, C(0)],
    ["down", 0, false, C(0, true)],
    ["up", 0, true, C(0, true)],
    ["down", 0, true, C(0)],
    // not run yet: unweighted holds the instance (num_script_init), weighted adds nothing
    ["init", 0, false, C(0, false, true)],
    ["init", 0, true, C(0, false, true)],
    ["init", 10, false, C(0)],
    ["init", -10, false, C(0)],
    ["init", 10, true, C(0)],
    // added at reload and not run yet: no effect at all
    ["init-reload", 0, false, C(0)],
    ["init-reload", 0, true, C(0)],
    ["init-reload", 10, false, C(0)],
    ["init-reload", -10, true, C(0)],
    // positive weight: added while OK
    ["up", 10, false, C(10)],
    ["down", 10, false, C(0)],
    // negative weight: subtracted while failing
    ["up", -10, false, C(0)],
    ["down", -10, false, C(-10)],
    // reverse: positive subtracts while OK, negative adds while failing
    ["up", 10, true, C(-10)],
    ["down", 10, true, C(0)],
    ["up", -10, true, C(0)],
    ["down", -10, true, C(10)],
    ["up", 253, false, C(253)],
    ["down", -253, false, C(-253)],
  ];
  for (const [status, weight, reverse, want] of cases) {
    test(`${status} weight ${weight}${reverse ? " reverse" : ""}`, () => {
      expect(contribution("script", status, { weight, reverse })).toEqual(want);
    });
  }

  test("the line's weight overrides the script's, the script's reverse is inherited", () => {
    const script = { weight: -20, weightReverse: true };
    expect(contribution("script", "down", {}, script)).toEqual(C(20));
    expect(contribution("script", "up", { weight: 5 }, script)).toEqual(C(-5));
    expect(contribution("script", "up", { weight: 5, reverse: false }, script)).toEqual(C(5));
    expect(contribution("script", "down", { weight: 0 }, script)).toEqual(C(0, false));
    expect(contribution("script", "up", { weight: 0 }, script)).toEqual(C(0, true));
  });

  test("ScriptTracker feeding contribution and effectivePriority (weight -30, fall 2, rise 2)", () => {
    const t = new ScriptTracker({ rise: 2, fall: 2 });
    const ref: TrackRef = { name: "chk" };
    const own = { weight: -30, weightReverse: false };
    const prio = () => effectivePriority(100, [contribution("script", t.status, ref, own).delta]);
    const seq: [boolean | undefined, number][] = [
      [undefined, 100],
      [true, 100],
      [false, 100],
      [false, 70],
      [true, 70],
      [true, 100],
    ];
    for (const [ok, want] of seq) {
      if (ok !== undefined) t.report(ok);
      expect(prio()).toBe(want);
    }
  });
});

for (const kind of ["interface", "process", "bfd"] as const) {
  describe(`contribution: ${kind}`, () => {
    const cases: [boolean, number, boolean, Contribution][] = [
      [true, 0, false, C(0)],
      [false, 0, false, C(0, true)],
      [true, 0, true, C(0, true)],
      [false, 0, true, C(0)],
      [true, 25, false, C(25)],
      [false, 25, false, C(0)],
      [true, -25, false, C(0)],
      [false, -25, false, C(-25)],
      [true, 25, true, C(-25)],
      [false, 25, true, C(0)],
      [true, -25, true, C(0)],
      [false, -25, true, C(25)],
    ];
    for (const [up, weight, reverse, want] of cases) {
      test(`${up ? "up" : "down"} weight ${weight}${reverse ? " reverse" : ""}`, () => {
        expect(contribution(kind, up, { weight, reverse })).toEqual(want);
      });
    }
    test("config model lines (TrackRef, TrackInterface) are accepted as they are", () => {
      const line: TrackInterface = { name: "eth1", weight: 0, reverse: true };
      expect(contribution(kind, true, line)).toEqual(C(0, true));
      const ref: TrackRef = { name: "x", weight: 8 };
      expect(contribution(kind, true, ref, { weight: 1, weightReverse: true })).toEqual(C(-8));
    });
    test("default weight from the tracked object", () => {
      expect(contribution(kind, false, {}, { weight: -4, weightReverse: false })).toEqual(C(-4));
      expect(contribution(kind, false, {}, { weight: 0, weightReverse: false })).toEqual(C(0, true));
    });
  });
}

describe("contribution: file", () => {
  // [value, weight, reverse, expected]
  const cases: [number, number, boolean, Contribution][] = [
    // weight 0: non-zero = FAULT, 0 = OK; reverse flips it
    [0, 0, false, C(0)],
    [1, 0, false, C(0, true)],
    [-3, 0, false, C(0, true)],
    [0, 0, true, C(0, true)],
    [5, 0, true, C(0)],
    // value × weight, added as is in -253..253
    [5, 1, false, C(5)],
    [-5, 1, false, C(-5)],
    [0, 1, false, C(0)],
    [0, 1, true, C(0)],
    [100, -1, false, C(-100)],
    [100, 1, true, C(-100)],
    [10, -2, true, C(20)],
    [3, 10, false, C(30)],
    // above 253: cut to 253
    [253, 1, false, C(253)],
    [254, 1, false, C(253)],
    [300, 1, false, C(253)],
    [1, 254, false, C(253)],
    // -253 still adds; -254 and below: FAULT, nothing added
    [-253, 1, false, C(-253)],
    [-254, 1, false, C(0, true)],
    [-1000, 1, false, C(0, true)],
    [-1, 254, false, C(0, true)],
    [1, 254, true, C(0, true)],
    [127, -2, false, C(0, true)],
    // 32-bit saturation (weight_range), then the same limits
    [2147483648, 1, false, C(253)],
    [2147483648, -254, false, C(0, true)],
    [-2147483648, -254, false, C(253)],
  ];
  for (const [value, weight, reverse, want] of cases) {
    test(`value ${value} weight ${weight}${reverse ? " reverse" : ""}`, () => {
      const got = contribution("file", value, { weight, reverse });
      expect(got).toEqual(want);
      expect(Object.is(got.delta, -0)).toBe(false);
    });
  }

  test("track_file default weight 1 from the file, overridden by the line", () => {
    const file = { weight: 1, weightReverse: false };
    expect(contribution("file", 40, {}, file)).toEqual(C(40));
    expect(contribution("file", 40, { weight: 2 }, file)).toEqual(C(80));
    expect(contribution("file", 40, { weight: 0 }, file)).toEqual(C(0, true));
    expect(contribution("file", 40, { reverse: true }, file)).toEqual(C(-40));
  });

  test("trackFileStatus: the status keepalived writes (initialise_vrrp_file_tracking_priorities), reverse negates it", () => {
    const w = (weight: number, reverse = false) => ({ weight, reverse });
    // "(tracked file %s has status %i)": value × weight × (reverse ? -1 : 1), not cut
    expect(trackFileStatus(-200, w(-2, true))).toBe(-400);
    expect(trackFileStatus(100, w(3, true))).toBe(-300);
    expect(trackFileStatus(100, w(3))).toBe(300);
    expect(trackFileStatus(-300, w(1))).toBe(-300);
    // weight 0: -254 for the faulted state, reverse flips which
    expect(trackFileStatus(7, w(0))).toBe(-254);
    expect(trackFileStatus(0, w(0))).toBe(0);
    expect(trackFileStatus(0, w(0, true))).toBe(-254);
    expect(trackFileStatus(7, w(0, true))).toBe(0);
    // the update path (update_track_file_status → process_update_vrrp_track_file_status) cuts to -254..253
    expect(trackFileUpdateStatus(-200, w(-2, true))).toBe(-254);
    expect(trackFileUpdateStatus(200, w(-2, true))).toBe(253);
    expect(trackFileUpdateStatus(-5, w(-2, true))).toBe(-10);
  });

  test("TrackFileState feeding contribution", () => {
    const f = new TrackFileState();
    const w = { weight: 1, reverse: false };
    const seq: [string | null, Contribution][] = [
      ["10\n", C(10)],
      ["-300", C(0, true)],
      ["not a number", C(0)],
      ["1000", C(253)],
      [null, C(0)],
    ];
    for (const [content, want] of seq) {
      f.read(content);
      expect(contribution("file", f.value, w)).toEqual(want);
    }
  });
});

// ---------------------------------------------------------------------------
// priority

describe("effectivePriority (vrrp_set_effective_priority)", () => {
  const cases: [number, number[], number][] = [
    [100, [], 100],
    [100, [10, -5], 105],
    [100, [153], 253],
    [100, [154], 254],
    [100, [155], 254],
    [100, [200, 200], 254],
    [100, [-98], 2],
    [100, [-99], 1],
    [100, [-100], 1],
    [100, [-500], 1],
    [254, [1], 254],
    [1, [-1], 1],
    [1, [253], 254],
    [100, [300, -250], 150],
    // address owner: never changes
    [PRIO_OWNER, [], 255],
    [PRIO_OWNER, [-100], 255],
    [PRIO_OWNER, [10], 255],
    [PRIO_OWNER, [-300], 255],
  ];
  for (const [base, deltas, want] of cases) {
    test(`${base} + [${deltas.join(", ")}] = ${want}`, () => expect(effectivePriority(base, deltas)).toBe(want));
  }

  test("totalPriority is the unclamped sum", () => {
    expect(totalPriority(100, [200, -50])).toBe(250);
    expect(totalPriority(100, [-300])).toBe(-200);
    expect(totalPriority(255, [-10])).toBe(245);
  });

  test("several trackers on one instance", () => {
    const deltas = [
      contribution("script", "up", { weight: 20 }),
      contribution("interface", false, { weight: -10 }),
      contribution("file", 7, { weight: 2 }),
      contribution("process", true, { weight: 5, reverse: true }),
      contribution("bfd", false, { weight: 0 }),
    ];
    expect(deltas.map((d) => d.delta)).toEqual([20, -10, 14, -5, 0]);
    expect(deltas.some((d) => d.fault)).toBe(true);
    expect(
      effectivePriority(
        100,
        deltas.map((d) => d.delta),
      ),
    ).toBe(119);
  });
});
