import { describe, expect, test } from "bun:test";
import { Origins } from "../../../src/config/origins";
import { parseConf } from "../../../src/config/parse";
import { memorySource } from "../../../src/config/source";

const host = { interfaceExists: () => true, userExists: () => true, groupExists: () => true };

describe("Origins", () => {
  test("gives back file, line and column, and the order objects were recorded in", () => {
    const o = new Origins();
    const a = {};
    const b = { x: 1 };
    o.set(a, { file: "/a.conf", line: 7, col: 3 }).set(b, { file: "/b.conf", line: 1, col: 9 });
    expect(o.get(a)).toEqual({ file: "/a.conf", line: 7, col: 3 });
    expect(o.get(b)).toEqual({ file: "/b.conf", line: 1, col: 9 });
    expect(o.get({})).toBeUndefined();
    // like a WeakMap: an absent optional field has no origin rather than throwing
    expect(o.get(undefined as unknown as object)).toBeUndefined();
    expect(o.has(null as unknown as object)).toBe(false);
    expect(o.has(a) && !o.has({})).toBe(true);
    expect((o.order(a) as number) < (o.order(b) as number)).toBe(true);
    // recording again moves the object after the others
    o.set(a, { file: "/a.conf", line: 8, col: 1 });
    expect(o.get(a)).toEqual({ file: "/a.conf", line: 8, col: 1 });
    expect((o.order(a) as number) > (o.order(b) as number)).toBe(true);
  });

  test("keeps many rows (the table grows)", () => {
    const o = new Origins();
    const objs = Array.from({ length: 1000 }, (_, i) => {
      const x = { i };
      o.set(x, { file: `/f${i % 3}.conf`, line: i + 1, col: (i % 80) + 1 });
      return x;
    });
    for (const [i, x] of objs.entries())
      expect(o.get(x)).toEqual({ file: `/f${i % 3}.conf`, line: i + 1, col: (i % 80) + 1 });
  });

  test("is invisible in the object and private to its table", () => {
    const o = new Origins();
    const x = { name: "chk", interval: 2 };
    o.set(x, { file: "/k.conf", line: 2, col: 5 });
    expect(x).toStrictEqual({ name: "chk", interval: 2 });
    expect(JSON.stringify(x)).toBe('{"name":"chk","interval":2}');
    expect(Object.keys(x)).toEqual(["name", "interval"]);
    expect(new Origins().get(x)).toBeUndefined();
    expect(o.get(structuredClone(x))).toBeUndefined();
    expect(o.get({ ...x })).toBeUndefined();
  });
});

describe("origins of a parsed configuration", () => {
  const conf = [
    "vrrp_script chk_a {", // 1
    '    script "/bin/true"', // 2
    "}",
    "vrrp_instance VI_1 {", // 4
    "    interface eth0",
    "    virtual_router_id 1",
    "    priority 100",
    "    virtual_ipaddress {",
    "        192.0.2.1/32",
    "    }",
    "    track_script {",
    "        chk_a",
    "        chk_b",
    "    }",
    "}",
    "vrrp_script chk_b {", // 16
    '    script "/bin/false"',
    "}",
  ].join("\n");
  const r = parseConf("/k.conf", { source: memorySource({ "/k.conf": conf }), host });

  test("point at each block's name and at the script's command", () => {
    const a = r.config.vrrpScripts.chk_a;
    const b = r.config.vrrpScripts.chk_b;
    expect(r.origins.get(a as object)).toEqual({ file: "/k.conf", line: 1, col: 13 });
    expect(r.origins.get(a?.script as object)).toEqual({ file: "/k.conf", line: 2, col: 12 });
    expect(r.origins.get(b as object)).toEqual({ file: "/k.conf", line: 16, col: 13 });
  });

  test("order blocks as declared: a script after the instance that tracks it is reported", () => {
    const later = r.diagnostics.items.filter((d) => d.code === "track-defined-later");
    expect(later.map((d) => [d.line, d.message])).toEqual([
      [
        13,
        "vrrp_instance VI_1: track_script 'chk_b' is defined after this block; keepalived resolves it while reading and would ignore it",
      ],
    ]);
  });
});
