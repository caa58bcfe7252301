// The VrrpDriver names default VMACs as keepalived 2.2.7 vrrp_complete_instance does
// (src/runtime/vmac-name.ts), against a kernel double with macvlans: config order, an
// interface of that name already there, the matching leftover adopted, a reload keeping a
// running instance's name, and the JSON dump reporting what was chosen. Virtual time.
import { describe, expect, test } from "bun:test";
import pino from "pino";
import type { KeelConfig } from "../../../src/config/model";
import { type Positions, keywordAt } from "../../../src/config/origins";
import { parseConf } from "../../../src/config/parse";
import { memorySource } from "../../../src/config/source";
import { jsonDump } from "../../../src/runtime/dumps";
import { VrrpDriver } from "../../../src/runtime/vrrp-driver";
import { VirtualTime } from "../../sim/fault-net";
import { configFromText, globalDefs, vrrpInstance } from "../../sim/harness";
import { TestKernel } from "./daemon-kernel";

const mac = (family: 4 | 6, vrid: number) => new Uint8Array([0, 0, 0x5e, 0, family === 4 ? 1 : 2, vrid]);

function inst(name: string, vrid: number, family: 4 | 6 = 4, extra: string[] = []): string {
  return vrrpInstance({ name, vrid, family, extra: ["use_vmac", ...extra] });
}

/** A configuration read from PATH as the daemon reads it: with where its objects were declared. */
function read(path: string, text: string): Positions {
  const r = parseConf(path, { source: memorySource({ [path]: text }), host: { interfaceExists: () => true }, env: {} });
  expect(r.diagnostics.errorCount).toBe(0);
  return r;
}

/** The 1-based line of `text` holding `what`. */
const lineOf = (text: string, what: string) => text.split("\n").findIndex((l) => l.includes(what)) + 1;

function rig(conf: string, before: (k: TestKernel) => void = () => {}) {
  const time = new VirtualTime(() => 0.5);
  const kernel = new TestKernel();
  before(kernel);
  const lines: string[] = [];
  const log = pino({ level: "debug" }, { write: (l: string) => void lines.push(JSON.parse(l).msg) });
  const text = `${globalDefs(3)}\n${conf}`;
  const first = read("/etc/keepalived/h.conf", text);
  const config = first.config;
  // the daemon's: the running configuration as read, and a reload's (reads[1]) from its read on
  const reads: Positions[] = [first];
  const driver = new VrrpDriver({
    config,
    kernel,
    log,
    now: () => time.now,
    timers: time,
    reconcileMs: 1000,
    configAt: (name, keyword) => keywordAt(reads[1], name, keyword) ?? keywordAt(reads[0], name, keyword),
  });
  driver.start();
  const names = (...instances: string[]) => instances.map((i) => driver.interfacesOf(i)?.vmac?.name);
  const reload = (path: string, next: string) => {
    const r = read(path, `${globalDefs(3)}\n${next}`);
    reads[1] = r;
    expect(driver.commitReload(driver.prepareReload(r.config)).applied).toBe(true);
  };
  return { kernel, driver, lines, names, config, text, reload };
}

const dumped = (r: ReturnType<typeof rig>, config: KeelConfig) =>
  Object.fromEntries(
    (
      JSON.parse(
        jsonDump(
          r.driver.router,
          () => 0,
          config,
          undefined,
          (n) => r.names(n)[0],
        ),
      ) as {
        data: { iname: string; vmac_ifname: string };
      }[]
    ).map((d) => [d.data.iname, d.data.vmac_ifname]),
  );

describe("default VMAC names at set-up", () => {
  test("IPv6 first gets vrrp.VRID, the IPv4 instance after it vrrp1.VRID; the dump says so", () => {
    const r = rig(`${inst("V6", 86, 6)}\n${inst("V4", 86)}`);
    expect(r.names("V6", "V4")).toEqual(["vrrp.86", "vrrp1.86"]);
    expect(r.kernel.linkByName("vrrp.86")?.mac).toEqual(mac(6, 86));
    expect(r.kernel.linkByName("vrrp1.86")?.mac).toEqual(mac(4, 86));
    expect(dumped(r, r.config)).toEqual({ V6: "vrrp.86", V4: "vrrp1.86" });
    r.driver.stop();
  });

  test("a later instance's configured name is taken from the start", () => {
    const r = rig(`${inst("A", 5)}\n${vrrpInstance({ name: "B", vrid: 6, extra: ["use_vmac vrrp.5"] })}`);
    expect(r.names("A", "B")).toEqual(["vrrp1.5", "vrrp.5"]);
    r.driver.stop();
  });

  test("an interface of that name that is no leftover of this instance is skipped and left alone", () => {
    const r = rig(`${inst("W6", 87, 6)}\n${inst("W4", 87)}`, (k) => void k.createVmac("vrrp.87", 2, mac(4, 99)));
    expect(r.names("W6", "W4")).toEqual(["vrrp6.87", "vrrp1.87"]);
    expect(r.kernel.linkByName("vrrp.87")?.mac).toEqual(mac(4, 99));
    r.driver.stop();
  });

  test("a leftover macvlan with the instance's VRRP MAC is adopted under its own name", () => {
    const r = rig(inst("X", 88), (k) => void k.createVmac("old88", 2, mac(4, 88)));
    expect(r.lines).toContain("(X) Found matching interface old88");
    expect(r.names("X")).toEqual(["old88"]);
    expect(r.kernel.linkByName("vrrp.88")).toBeUndefined();
    r.driver.stop();
  });

  test("a configured name an interface that is no VMAC holds is ignored, not deleted", () => {
    const r = rig(vrrpInstance({ name: "C", vrid: 7, extra: ["use_vmac eth0"] }));
    // vrrp_parser.c vrrp_vmac_handler's line: keepalived 2.2.7 says it as it reads the
    // configuration (test/interop/vmac-leftover.test.ts), before vrrp_complete_instance could,
    // with report_config_error's "(FILE: Line N) ", N the use_vmac line
    const at = lineOf(r.text, "use_vmac eth0");
    expect(at).toBeGreaterThan(1);
    expect(r.lines).toContain(
      `(/etc/keepalived/h.conf: Line ${at}) (C) interface eth0 already exists and is not a private macvlan; ignoring vmac if_name`,
    );
    expect(r.names("C")).toEqual(["vrrp.7"]);
    expect(r.kernel.linkByName("eth0")?.kind).not.toBe("macvlan");
    r.driver.stop();
  });

  test("an instance a reload adds: the line names the new read's file and line", () => {
    const r = rig(inst("A", 5));
    const c = vrrpInstance({ name: "C", vrid: 7, extra: ["use_vmac eth0"] });
    const next = `${inst("A", 5)}\n${c}`;
    r.reload("/etc/keepalived/next.conf", next);
    const at = lineOf(`${globalDefs(3)}\n${next}`, "use_vmac eth0");
    expect(r.lines.filter((l) => l.includes("not a private macvlan"))).toEqual([
      `(/etc/keepalived/next.conf: Line ${at}) (C) interface eth0 already exists and is not a private macvlan; ignoring vmac if_name`,
    ]);
    expect(r.names("C")).toEqual(["vrrp.7"]);
    r.driver.stop();
  });
});

describe("a reload", () => {
  test("keeps the running instances' names, whatever the new order; a renamed one adopts its VMAC", () => {
    const r = rig(`${inst("V6", 86, 6)}\n${inst("V4", 86)}`);
    expect(r.names("V6", "V4")).toEqual(["vrrp.86", "vrrp1.86"]);
    // V4 first: from the start it would be vrrp.86. R6 is V6 renamed (removed and added):
    // V6's VMAC is the leftover with R6's VRRP MAC ("Found matching interface"); N is new
    const next = configFromText(`${globalDefs(3)}\n${inst("V4", 86)}\n${inst("R6", 86, 6)}\n${inst("N", 90)}`, "h");
    const plan = r.driver.prepareReload(next);
    expect(plan.added.map((v) => v.name)).toEqual(["R6", "N"]);
    expect(r.driver.commitReload(plan)).toMatchObject({ applied: true });
    expect(r.lines).toContain("(R6) Found matching interface vrrp.86");
    expect(r.names("V4", "R6", "N")).toEqual(["vrrp1.86", "vrrp.86", "vrrp.90"]);
    expect(r.kernel.linkByName("vrrp.86")?.mac).toEqual(mac(6, 86));
    expect(dumped(r, next)).toEqual({ V4: "vrrp1.86", R6: "vrrp.86", N: "vrrp.90" });
    r.driver.stop();
  });
});
