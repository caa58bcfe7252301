// The VrrpDriver's firewall (vrrp_strict / no_accept) in virtual time, on the simulated
// kernel with an nf_tables port that records each batch and can refuse: which instances
// get drop rules, in what order against the VIPs, the retry of a refused batch at the
// next reconcile, and the clean-up at stop. The bytes of the batches are
// test/unit/native-bindings/nftables.test.ts's business; the kernel's answers,
// test/netns/nftables.test.ts's and test/interop/firewall.test.ts's.
import { describe, expect, test } from "bun:test";
import pino from "pino";
import type { NftOp } from "../../../native-bindings/nftables";
import { SimKernel, SimSegment } from "../../../src/demo/sim-kernel";
import type { NftPort } from "../../../src/runtime/firewall";
import type { KernelError } from "../../../src/runtime/kernel";
import { VrrpDriver } from "../../../src/runtime/vrrp-driver";
import { VirtualTime } from "../../sim/fault-net";
import { configFromText, globalDefs, vrrpInstance } from "../../sim/harness";

class RecordingPort implements NftPort {
  readonly batches: NftOp[][] = [];
  opened = 0;
  closed = 0;
  /** refuse this many batches first */
  refuse = 0;
  apply(ops: readonly NftOp[]): KernelError | undefined {
    if (this.refuse > 0) {
      this.refuse--;
      return { op: "firewall", code: "ENOBUFS", errno: 105, message: "refused by the test" };
    }
    this.batches.push([...ops]);
    return undefined;
  }
  tableExists(): { ok: true; value: boolean } {
    return { ok: true, value: false };
  }
  close(): void {
    this.closed++;
  }
  ops(): string[] {
    return this.batches.flat().map((o) => `${o.op} ${o.family}${"set" in o ? ` ${o.set}` : ""}`);
  }
}

function rig(
  instanceExtra: string[],
  o: { priority?: number; version?: 2 | 3; refuse?: number; strict?: boolean } = {},
) {
  const time = new VirtualTime(() => 0.5);
  const segment = new SimSegment({ defer: time.defer });
  const sim = new SimKernel({ name: "h", segment, ipv4: "10.0.0.1", prefixLen: 24 });
  const lines: string[] = [];
  const log = pino({ level: "debug" }, { write: (l: string) => void lines.push(JSON.parse(l).msg) });
  const conf = vrrpInstance({
    name: "VI_1",
    vrid: 1,
    priority: o.priority ?? 100,
    vips: ["192.168.1.1/32"],
    extra: instanceExtra,
  });
  const config = configFromText(
    `${globalDefs(o.version ?? 3, o.strict === false ? [] : ["vrrp_strict"])}\n${conf}`,
    "h",
  );
  const port = new RecordingPort();
  port.refuse = o.refuse ?? 0;
  const driver = new VrrpDriver({
    config,
    kernel: sim,
    log,
    now: () => time.now,
    timers: time,
    reconcileMs: 1000,
    nft: () => {
      port.opened++;
      return { ok: true, value: port };
    },
  });
  driver.start();
  const run = (ms: number) => time.runUntil(time.now + ms, () => {});
  return { driver, port, lines, run };
}

describe("the driver's firewall", () => {
  test("a strict non-owner without accept: drop rule before the VIPs, removed after them, tables gone at stop", () => {
    const r = rig([]);
    r.run(10_000);
    expect(r.lines).toContain("(VI_1) Entering MASTER STATE");
    expect(r.port.ops()).toEqual([
      "new-table 4",
      "new-chain 4",
      "new-chain 4",
      "new-set 4 vips",
      "new-rule 4",
      "new-rule 4",
      "new-elems 4 vips",
    ]);
    const set = r.lines.indexOf("(VI_1) setting firewall drop rule");
    expect(set).toBeGreaterThan(-1);
    expect(set).toBeLessThan(r.lines.indexOf("(VI_1) setting VIPs."));
    r.driver.stop();
    expect(r.port.ops().slice(7)).toEqual(["del-elems 4 vips", "del-table 4"]);
    expect(r.lines.indexOf("(VI_1) removing firewall drop rule")).toBeGreaterThan(
      r.lines.indexOf("(VI_1) removing VIPs."),
    );
    expect(r.port.closed).toBe(1);
  });

  test("accept under VRRPv3, and an address owner, need no firewall: nf_tables is never opened", () => {
    for (const r of [rig(["accept"]), rig([], { priority: 255 })]) {
      r.run(10_000);
      expect(r.lines).toContain("(VI_1) Entering MASTER STATE");
      r.driver.stop();
      expect(r.port.opened).toBe(0);
    }
  });

  test("no_accept without strict mode sets it too; without either, nf_tables is never opened", () => {
    const r = rig(["no_accept"], { strict: false });
    r.run(10_000);
    expect(r.lines).toContain("(VI_1) setting firewall drop rule");
    r.driver.stop();
    const plain = rig([], { strict: false });
    plain.run(10_000);
    expect(plain.lines).toContain("(VI_1) Entering MASTER STATE");
    plain.driver.stop();
    expect(plain.port.opened).toBe(0);
  });

  test("strict VRRPv2 resets accept: the firewall is set", () => {
    const r = rig(["accept"], { version: 2 });
    r.run(10_000);
    expect(r.lines).toContain("(VI_1) setting firewall drop rule");
    r.driver.stop();
  });

  test("a refused batch is logged, counted and sent again at the next reconcile", () => {
    const r = rig([], { refuse: 1 });
    r.run(5_000);
    expect(r.lines.some((l) => l.startsWith("(VI_1) cannot set the firewall drop rule"))).toBe(true);
    expect(r.driver.kernelErrors.firewall).toBe(1);
    r.run(1_500);
    expect(r.port.ops().at(-1)).toBe("new-elems 4 vips");
    expect(r.port.ops()[0]).toBe("new-table 4");
    r.driver.stop();
  });
});
