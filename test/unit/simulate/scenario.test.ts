// Scenario files: the grammar of hosts, events and expectations, and errors with file:line.
import { describe, expect, test } from "bun:test";
import { parseDuration, parseScenario } from "../../../src/simulate/scenario";

const F = "/s/scenario.toml";

function errorsOf(text: string): string[] {
  const r = parseScenario(F, text);
  if (r.ok) throw new Error("expected errors");
  return r.errors.map((e) => `${e.file}:${e.line}: ${e.message}`);
}

describe("parseDuration", () => {
  test("units, sums, bare seconds", () => {
    expect(parseDuration("30s")).toBe(30_000);
    expect(parseDuration("1.5s")).toBe(1_500);
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("2m")).toBe(120_000);
    expect(parseDuration("1h")).toBe(3_600_000);
    expect(parseDuration("1m30s")).toBe(90_000);
    expect(parseDuration("12")).toBe(12_000);
  });
  test("anything else is undefined", () => {
    for (const bad of ["", "s", "10x", "10s junk", "-1s", "1d"]) expect(parseDuration(bad)).toBeUndefined();
  });
});

describe("parseScenario: a good file", () => {
  const text = [
    "# a comment",
    'hosts = { h1 = "a.conf", h2 = { config = "b.conf", address = "10.0.0.9" } }',
    'duration = "40s"',
    "seed = 7",
    "events = [",
    '  "20s heal",',
    '  "10s script h1 chk fail",',
    '  "10s file h2 tf 5",',
    '  "11s process h1 nginx down",',
    '  "12s kill h1",',
    '  "13s restart h1",',
    '  "14s stop h2",',
    '  "15s reload h1 other.conf",',
    '  "16s link-down h2",',
    '  "17s link-up h2",',
    '  "18s partition h1 | h2",',
    '  "19s priority h1 VI_1 90",',
    "]",
    "expect = [",
    '  "at 30s VIP 10.0.0.100 on h2",',
    '  "at 30s VIP 10.0.0.100 on nobody",',
    '  "h1 MASTER at 12s",',
    '  "h1 VI_1 BACKUP at 12s",',
    '  "never two masters",',
    '  "VIP 10.0.0.100 moves at most 2 times",',
    '  "VIP 10.0.0.100 sequence h1 h1+h2 - h2",',
    "]",
  ].join("\n");
  const r = parseScenario(F, text);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  const sc = r.value;

  test("hosts, duration, seed", () => {
    expect(sc.hosts).toEqual([
      { name: "h1", config: "a.conf" },
      { name: "h2", config: "b.conf", address: "10.0.0.9" },
    ]);
    expect(sc.duration).toBe(40_000);
    expect(sc.seed).toBe(7);
  });

  test("events are sorted by time, stable among equal times, each with its line", () => {
    expect(sc.events.map((e) => [e.at, e.what.kind, e.line])).toEqual([
      [10_000, "script", 7],
      [10_000, "file", 8],
      [11_000, "process", 9],
      [12_000, "kill", 10],
      [13_000, "restart", 11],
      [14_000, "stop", 12],
      [15_000, "reload", 13],
      [16_000, "link-down", 14],
      [17_000, "link-up", 15],
      [18_000, "partition", 16],
      [19_000, "priority", 17],
      [20_000, "heal", 6],
    ]);
    expect(sc.events[0]?.what).toEqual({ kind: "script", host: "h1", name: "chk", ok: false });
    expect(sc.events[1]?.what).toEqual({ kind: "file", host: "h2", name: "tf", value: 5 });
    expect(sc.events[2]?.what).toEqual({ kind: "process", host: "h1", name: "nginx", up: false });
    expect(sc.events[6]?.what).toEqual({ kind: "reload", host: "h1", config: "other.conf" });
    expect(sc.events[9]?.what).toEqual({ kind: "partition", groups: [["h1"], ["h2"]] });
    expect(sc.events[10]?.what).toEqual({ kind: "priority", host: "h1", instance: "VI_1", priority: 90 });
  });

  test("expectations, each with its line", () => {
    expect(sc.expects.map((e) => [e.line, e.what])).toEqual([
      [20, { kind: "vip-at", at: 30_000, vip: "10.0.0.100", hosts: ["h2"] }],
      [21, { kind: "vip-at", at: 30_000, vip: "10.0.0.100", hosts: [] }],
      [22, { kind: "state-at", at: 12_000, host: "h1", instance: undefined, state: "MASTER" }],
      [23, { kind: "state-at", at: 12_000, host: "h1", instance: "VI_1", state: "BACKUP" }],
      [24, { kind: "never-two-masters" }],
      [25, { kind: "moves-at-most", vip: "10.0.0.100", n: 2 }],
      [26, { kind: "sequence", vip: "10.0.0.100", hosts: ["h1", "h1+h2", "-", "h2"] }],
    ]);
  });
});

describe("parseScenario: errors name file:line and the reason", () => {
  const hosts = 'hosts = { h1 = "a.conf", h2 = "b.conf" }';

  test("TOML syntax", () => {
    expect(errorsOf(`${hosts}\nduration = \n`)[0]).toMatch(/^\/s\/scenario\.toml:2: TOML: /);
  });

  test("unknown keys, bad duration and seed", () => {
    expect(errorsOf(`${hosts}\nspeed = 3\nduration = "fast"\nseed = 1.5`)).toEqual([
      "/s/scenario.toml:2: unknown key 'speed' (known: hosts, duration, seed, events, expect)",
      '/s/scenario.toml:3: duration must be a time like "60s" or "5m", not "fast"',
      "/s/scenario.toml:4: seed must be an integer",
    ]);
  });

  test("hosts", () => {
    expect(errorsOf('hosts = ["a.conf"]')).toEqual([
      '/s/scenario.toml:1: hosts must be a table: hosts = { h1 = "h1.conf", h2 = "h2.conf" }',
    ]);
    expect(errorsOf('[hosts]\nh1 = "a.conf"\nh2 = { config = "b.conf", address = "x" }\nh3 = 5')).toEqual([
      '/s/scenario.toml:3: host h2: address must be an IPv4 address like "10.0.0.1"',
      '/s/scenario.toml:4: host h3 must be a file name or { config = "FILE", address = "A.B.C.D" }',
    ]);
  });

  test("events", () => {
    const text = [
      hosts,
      "events = [",
      '  "soon kill h1",',
      '  "1s explode h1",',
      '  "2s kill h9",',
      '  "3s script h1 chk maybe",',
      '  "4s partition h1",',
      '  "5s partition h1 | h1",',
      '  "6s priority h1 VI_1 256",',
      '  "7s file h1 tf x",',
      '  "8s kill",',
      '  "9s heal now",',
      "]",
      "events2 = 1",
    ].join("\n");
    expect(errorsOf(text)).toEqual([
      "/s/scenario.toml:14: unknown key 'events2' (known: hosts, duration, seed, events, expect)",
      '/s/scenario.toml:3: event "soon kill h1": starts with a time like "10s" (got \'soon\')',
      "/s/scenario.toml:4: event \"1s explode h1\": unknown verb 'explode' (script, file, process, kill, restart, stop, reload, link-down, link-up, partition, heal, priority)",
      "/s/scenario.toml:5: event \"2s kill h9\": no host 'h9' (hosts: h1, h2)",
      "/s/scenario.toml:6: event \"3s script h1 chk maybe\": a script's result is ok or fail, not 'maybe'",
      '/s/scenario.toml:7: event "4s partition h1": usage: AT partition H1 [H2...] | H3 [H4...] [| ...]',
      "/s/scenario.toml:8: event \"5s partition h1 | h1\": host 'h1' is in two groups",
      "/s/scenario.toml:9: event \"6s priority h1 VI_1 256\": a priority is 1..255, not '256'",
      "/s/scenario.toml:10: event \"7s file h1 tf x\": a track_file value is an integer, not 'x'",
      '/s/scenario.toml:11: event "8s kill": usage: AT kill HOST',
      '/s/scenario.toml:12: event "9s heal now": usage: AT heal',
    ]);
  });

  test("expectations", () => {
    const text = [
      hosts,
      "expect = [",
      '  "at soon VIP 10.0.0.1 on h1",',
      '  "at 1s VIP 10.0.0.1 at h1",',
      '  "h1 HAPPY at 3s",',
      '  "VIP 10.0.0.1 moves at most many times",',
      '  "VIP 10.0.0.1 sequence h1 h7",',
      '  "always one master",',
      "]",
      "",
    ].join("\n");
    expect(errorsOf(text)).toEqual([
      "/s/scenario.toml:3: expect \"at soon VIP 10.0.0.1 on h1\": a time like \"30s\" follows 'at' (got 'soon')",
      '/s/scenario.toml:4: expect "at 1s VIP 10.0.0.1 at h1": usage: at T VIP ADDR on HOST[,HOST...]|nobody',
      "/s/scenario.toml:5: expect \"h1 HAPPY at 3s\": a state is MASTER, BACKUP, FAULT, STOP, INIT or down, not 'HAPPY'",
      '/s/scenario.toml:6: expect "VIP 10.0.0.1 moves at most many times": usage: VIP ADDR moves at most N times',
      "/s/scenario.toml:7: expect \"VIP 10.0.0.1 sequence h1 h7\": no host 'h7' (hosts: h1, h2)",
      '/s/scenario.toml:8: expect "always one master": unknown expectation (at T VIP ADDR on HOST | HOST [INSTANCE] STATE at T | never two masters | VIP ADDR moves at most N times | VIP ADDR sequence H1 H2 ...)',
    ]);
  });

  test("events and expect must be arrays of strings", () => {
    expect(errorsOf(`${hosts}\nevents = "10s heal"\nexpect = [1]`)).toEqual([
      '/s/scenario.toml:2: events must be an array of strings: events = ["...", "..."]',
      '/s/scenario.toml:3: expect must be an array of strings: expect = ["...", "..."]',
    ]);
  });
});
