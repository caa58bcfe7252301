// BFD_CHECK's rules (src/check/bfd.ts, after check_bfd.c and ipwrapper.c), then the real
// checker driver with BFD_CHECKs fed session states as the daemon sends them: the pool,
// the events, the status and a reload, without IPVS (the VM test has the kernel table).
import { describe, expect, test } from "bun:test";
import { bfdCheckAlert, bfdCheckEvent, initialBfdCheck } from "../../../src/check/bfd";
import { parseConf } from "../../../src/config/parse";
import { memorySource } from "../../../src/config/source";
import type { Event } from "../../../src/control/protocol";
import { type Logger, createLogger } from "../../../src/runtime/log";
import { CheckerDriver } from "../../../src/runtime/checker-driver";

describe("BFD_CHECK rules", () => {
  test("a checker starts up, or down under alpha", () => {
    expect(initialBfdCheck(false)).toEqual({ up: true, hasRun: false });
    expect(initialBfdCheck(true)).toEqual({ up: false, hasRun: false });
  });

  test("a first event that differs changes the checker", () => {
    expect(bfdCheckEvent(initialBfdCheck(false), false, false)).toEqual({
      next: { up: false, hasRun: true },
      log: true,
      change: "down",
      firstNotify: false,
    });
    expect(bfdCheckEvent(initialBfdCheck(true), true, true)).toMatchObject({ change: "up", log: true });
  });

  test("a first event that agrees changes nothing but runs the notify under alpha or when down", () => {
    expect(bfdCheckEvent(initialBfdCheck(false), true, false)).toEqual({
      next: { up: true, hasRun: true },
      log: true,
      firstNotify: false,
    });
    expect(bfdCheckEvent(initialBfdCheck(true), false, true)).toEqual({
      next: { up: false, hasRun: true },
      log: true,
      firstNotify: true,
    });
    // the rule as written: under alpha an agreeing first Up runs the notify too
    expect(bfdCheckEvent({ up: true, hasRun: false }, true, true).firstNotify).toBe(true);
  });

  test("a repeated state once the checker has run is silent", () => {
    const st = { up: false, hasRun: true };
    expect(bfdCheckEvent(st, false, false)).toEqual({ next: st, log: false, firstNotify: false });
  });

  test("the alert text is check_bfd.c's", () => {
    expect(bfdCheckAlert("b1", false)).toBe("=> BFD CHECK b1 failed on service <=");
    expect(bfdCheckAlert("b1", true)).toBe("=> BFD CHECK b1 succeeded on service <=");
  });
});

const conf = (alpha: string, inhibit: string) => `
bfd_instance b1 {
  neighbor_ip 10.9.0.2
}
bfd_instance b2 {
  neighbor_ip 10.9.0.3
  checker
}
virtual_server 10.0.0.1 80 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 10.9.0.2 80 {
    weight 3
    ${inhibit}
    BFD_CHECK {
      name b1
      ${alpha}
    }
  }
  real_server 10.9.0.3 80 {
    weight 2
    BFD_CHECK {
      name b1
    }
    BFD_CHECK {
      name b2
    }
  }
}
`;

function cfg(text: string) {
  const source = memorySource({ "/mem.conf": text });
  const r = parseConf("/mem.conf", { source, host: { interfaceExists: () => true }, configId: "t" });
  const errs = r.diagnostics.items.filter((d) => d.severity === "error");
  if (errs.length) throw new Error(JSON.stringify(errs));
  return r.config;
}

function lab(text: string) {
  const lines: string[] = [];
  const log: Logger = createLogger({ write: (s: string) => void lines.push(s), format: "json" });
  const events: Event[] = [];
  const d = new CheckerDriver({ config: cfg(text), log, onEvent: (e) => events.push(e), random: () => 0 });
  const msgs = () => lines.map((l) => JSON.parse(l).msg as string);
  const rs = () => d.status()[0]?.realServers.map((r) => ({ up: r.up, weight: r.weight })) ?? [];
  const weights = () =>
    d
      .table()
      .flatMap((e) => e.dests)
      .map((x) => `${x.address}:${x.weight}`);
  return { d, msgs, events, rs, weights };
}

describe("the checker driver with BFD_CHECK", () => {
  test("a session going Down takes the real server out, Up puts it back; one Down of two fails it", () => {
    const { d, msgs, rs, weights, events } = lab(conf("", ""));
    d.start();
    try {
      // no session heard yet: every checker is up, as keepalived's queue_checker leaves it
      expect(weights()).toEqual(["10.9.0.2:3", "10.9.0.3:2"]);
      d.bfdState("b1", false);
      expect(msgs()).toContain("BFD check of [b1] RS([10.9.0.2]:tcp:80) is DOWN");
      expect(msgs()).toContain("BFD check of [b1] RS([10.9.0.3]:tcp:80) is DOWN");
      expect(rs()).toEqual([
        { up: false, weight: 3 },
        { up: false, weight: 2 },
      ]);
      expect(weights()).toEqual([]);
      expect(events.some((e) => e.event === "real-server" && !e.up)).toBe(true);
      // b2 Up agrees with its checker (first event): no change; b1 Up brings both back
      d.bfdState("b2", true);
      d.bfdState("b1", true);
      expect(weights()).toEqual(["10.9.0.2:3", "10.9.0.3:2"]);
      // the same state again is silent
      const n = msgs().length;
      d.bfdState("b1", true);
      expect(msgs().length).toBe(n);
      // the second real server has two BFD checkers: either Down fails it
      d.bfdState("b2", false);
      expect(weights()).toEqual(["10.9.0.2:3"]);
      expect(d.status()[0]?.realServers[1]?.checkers.map((c) => [c.type, c.up])).toEqual([
        ["BFD_CHECK", true],
        ["BFD_CHECK", false],
      ]);
    } finally {
      d.stop();
    }
  });

  test("alpha starts down; inhibit_on_failure keeps a down real server at weight 0", () => {
    const { d, weights } = lab(conf("alpha", "inhibit_on_failure"));
    d.start();
    try {
      expect(weights()).toEqual(["10.9.0.2:0", "10.9.0.3:2"]);
      d.bfdState("b1", true);
      expect(weights()).toEqual(["10.9.0.2:3", "10.9.0.3:2"]);
      d.bfdState("b1", false);
      expect(weights()).toEqual(["10.9.0.2:0"]);
    } finally {
      d.stop();
    }
  });

  test("a reload keeps an unchanged checker's state", () => {
    const text = conf("", "");
    const { d, weights } = lab(text);
    d.start();
    try {
      d.bfdState("b1", false);
      expect(weights()).toEqual([]);
      d.reload(cfg(text));
      expect(weights()).toEqual([]);
      d.bfdState("b1", true);
      expect(weights()).toEqual(["10.9.0.2:3", "10.9.0.3:2"]);
    } finally {
      d.stop();
    }
  });
});
