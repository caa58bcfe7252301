/**
 * LVS keyword tables: every fixture under test/fixtures/config/lvs (NAME.json is the
 * LVS part of the model, NAME.diag the diagnostics), then a round trip through the
 * emitter for each, and a never-throws run over mangled input.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { KeelConfig } from "../../../src/config/model";
import { emitConf, parseConf } from "../../../src/config/parse";
import { memorySource } from "../../../src/config/source";
import { FIXTURES, fixtureTests, load } from "./fixtures";

const lvsPart = (c: KeelConfig) => ({
  virtualServerGroups: c.virtualServerGroups,
  virtualServers: c.virtualServers,
  ssl: c.ssl,
  bfdInstances: c.bfdInstances,
});

const host = { interfaceExists: () => true };

function parseText(text: string) {
  return parseConf("/mem.conf", { source: memorySource({ "/mem.conf": text }), host, configId: "test" });
}

describe("lvs fixtures", () => {
  fixtureTests("lvs", lvsPart);
});

describe("lvs round trip: parse → emitConf → parse gives the same model", () => {
  const dir = join(FIXTURES, "lvs");
  for (const f of readdirSync(dir).filter((x) => x.endsWith(".conf"))) {
    test(f, () => {
      const loaded = load(join(dir, f));
      const first = loaded.config;
      const text = emitConf(first);
      const again = parseText(text);
      // the emitted text raises no new kind of error (cross-block ones, e.g. an unknown group, stay)
      const before = new Set(loaded.diagnostics.items.filter((d) => d.severity === "error").map((d) => d.code));
      const fresh = again.diagnostics.items.filter((d) => d.severity === "error" && !before.has(d.code));
      expect(fresh).toEqual([]);
      expect(JSON.parse(JSON.stringify(lvsPart(again.config)))).toEqual(JSON.parse(JSON.stringify(lvsPart(first))));
    });
  }
});

describe("lvs emitter", () => {
  test("values still at their defaults are not written", () => {
    const text = emitConf(
      parseText("virtual_server 10.0.0.1 80 {\n protocol TCP\n real_server 10.0.0.2 80 {\n TCP_CHECK {\n }\n }\n}\n")
        .config,
    );
    expect(text).toContain(
      "virtual_server 10.0.0.1 80 {\n    protocol TCP\n    real_server 10.0.0.2 80 {\n        TCP_CHECK {\n        }\n    }\n}\n",
    );
  });
  test("aliases are written with the current spelling", () => {
    const text = emitConf(
      parseText(
        "virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_algo rr\n lb_kind DR\n real_server 10.0.0.2 80 {\n }\n}\n",
      ).config,
    );
    expect(text).toContain("lvs_sched rr\n");
    expect(text).toContain("lvs_method DR\n");
    expect(text).not.toContain("lb_algo");
  });
});

describe("lvs decoding never throws", () => {
  // Deterministic mangling of the fixtures: drop, duplicate and swap tokens.
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const words = [
    "{",
    "}",
    "-1",
    "0",
    "65536",
    "x",
    '""',
    "TUN",
    "type",
    "gue",
    "port",
    "fwmark",
    "group",
    "::1",
    "10.0.0.1-300",
    "1.2.3.4/33",
    "url",
    "real_server",
  ];
  const sources = readdirSync(join(FIXTURES, "lvs"))
    .filter((x) => x.endsWith(".conf"))
    .map((x) => readFileSync(join(FIXTURES, "lvs", x), "utf8"));
  test("300 mangled configurations", () => {
    for (let i = 0; i < 300; i++) {
      const toks = (sources[i % sources.length] as string).split(/(\s+)/);
      for (let k = 0; k < 8; k++) {
        const at = rnd(toks.length);
        const op = rnd(3);
        if (op === 0) toks.splice(at, 1);
        else if (op === 1) toks.splice(at, 0, " ", words[rnd(words.length)] as string, " ");
        else toks[at] = words[rnd(words.length)] as string;
      }
      const r = parseText(toks.join(""));
      expect(r.config).toBeDefined();
      emitConf(r.config);
    }
  });
});
