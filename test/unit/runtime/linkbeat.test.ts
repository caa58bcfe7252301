/**
 * runtime/linkbeat.ts: keepalived 2.2.7's choice of polling method (vrrp_if.c
 * init_linkbeat_status) and its polls, over answers a driver would give. No device a
 * namespace can create has MII registers (veth and dummy refuse SIOCGMIIPHY), so the MII
 * cases are scripted here; the ETHTOOL fallback and the polls on a real veth are in
 * test/interop/linkbeat.test.ts beside keepalived.
 */
import { describe, expect, test } from "bun:test";
import { type Answer, Linkbeat, type LinkbeatProbe, polledInterfaces } from "../../../src/runtime/linkbeat";
import { createLogger } from "../../../src/runtime/log";
import type { Timers } from "../../../src/runtime/vrrp-driver";
import { configFromText } from "../../../src/simulate/segment";

const no = (errno: number) => ({ ok: false as const, errno });
const yes = <T>(value: T): Answer<T> => ({ ok: true, value });

/** A NIC: what each ioctl answers; `bmsr` is read in order (the link bit latches low). */
interface Nic {
  mii?: { bmcr: number; bmsr: number[] };
  ethtool?: boolean;
  flags?: number;
  gone?: boolean;
}

function probeOf(nics: Record<string, Nic>): LinkbeatProbe {
  return {
    miiPhy: (n) => (nics[n]?.mii ? yes(1) : no(95)),
    miiRead: (n, _phy, reg) => {
      const m = nics[n]?.mii;
      if (!m) return no(95);
      if (reg === 0) return yes(m.bmcr);
      return yes(m.bmsr.length > 1 ? (m.bmsr.shift() as number) : (m.bmsr[0] as number));
    },
    ethtoolLink: (n) => (nics[n]?.ethtool === undefined ? no(95) : yes(nics[n]?.ethtool as boolean)),
    flags: (n) => (nics[n]?.gone ? no(19) : yes(nics[n]?.flags ?? 0x1043)),
    close: () => undefined,
  };
}

function run(conf: string, nics: Record<string, Nic>) {
  const due: (() => void)[] = [];
  const timers: Timers = { set: (fn) => due.push(fn), clear: () => undefined };
  const lines: string[] = [];
  const changes: [string, boolean][] = [];
  const lb = new Linkbeat({
    timers,
    log: createLogger({ write: (l) => lines.push(l.trimEnd()) }),
    open: () => probeOf(nics),
    describe: (e) => `errno ${e}`,
    onChange: (n, up) => changes.push([n, up]),
  });
  const config = configFromText(conf, "n");
  lb.start(config, new Set(["eth0", "eth1"]), (n) => !nics[n]?.gone);
  /** one POLLING_DELAY: every armed poll runs once */
  const tick = () => {
    for (const fn of due.splice(0)) fn();
  };
  return { lb, lines, changes, tick };
}

const inst = (ifname: string, extra = "") =>
  `vrrp_instance V_${ifname} {\n interface ${ifname}\n virtual_router_id ${ifname === "eth0" ? 1 : 2}\n priority 100\n ${extra}\n virtual_ipaddress {\n  10.0.0.1\n }\n}\n`;

describe("linkbeat: the method", () => {
  test("no method configured: MII when the driver has it, its link bit read twice", () => {
    const { lb, lines } = run(`linkbeat_interfaces {\n eth0\n}\n${inst("eth0")}`, {
      eth0: { mii: { bmcr: 0x1000, bmsr: [0x7809, 0x7809, 0x780d] } },
    });
    expect(lb.methods()).toEqual({ eth0: "MII" });
    // the probe's read of BMSR and the status's first (latched low) say down; the second says up
    expect(lb.up("eth0")).toBe(true);
    expect(lb.nicLine("eth0")).toBe("   NIC support MII regs");
    expect(lines.at(-1)).toEndWith("Using MII-BMSR/ETHTOOL NIC polling thread(s)...");
  });

  test("ETHTOOL configured but refused: MII, with keepalived's line", () => {
    const { lb, lines } = run(`linkbeat_interfaces {\n eth0 ETHTOOL\n}\n${inst("eth0")}`, {
      eth0: { mii: { bmcr: 0x1000, bmsr: [0x780d] } },
    });
    expect(lb.methods()).toEqual({ eth0: "MII" });
    expect(lines.join("\n")).toContain("(eth0): Configured linkbeat type ETHTOOL not supported, using MII");
  });

  test("neither MII nor ETHTOOL: IOCTL, where the flags decide", () => {
    const { lb } = run(`linkbeat_use_polling\n${inst("eth0")}`, { eth0: { flags: 0x1003 } });
    expect(lb.methods()).toEqual({ eth0: "IOCTL" });
    expect(lb.up("eth0")).toBe(false);
    expect(lb.nicLine("eth0")).toBe("   NIC ioctl refresh polling");
  });

  test("a present MII without a transceiver (BMSR 0) is no MII", () => {
    const { lb, lines } = run(`linkbeat_interfaces {\n eth0 MII\n}\n${inst("eth0")}`, {
      eth0: { mii: { bmcr: 0x1000, bmsr: [0] }, ethtool: true },
    });
    expect(lines.join("\n")).toContain("No MII transceiver present for eth0 !!!");
    expect(lb.methods()).toEqual({ eth0: "ETHTOOL" });
  });
});

describe("linkbeat: the polls", () => {
  test("a change is reported once, with keepalived's line; a vanished interface is down", () => {
    const nics: Record<string, Nic> = { eth0: { ethtool: true } };
    const { lb, lines, changes, tick } = run(`linkbeat_interfaces {\n eth0\n}\n${inst("eth0")}`, nics);
    expect(lb.up("eth0")).toBe(true);
    tick();
    expect(changes).toEqual([]);
    (nics.eth0 as Nic).ethtool = false;
    tick();
    tick();
    expect(changes).toEqual([["eth0", false]]);
    expect(lines.at(-1)).toEndWith("Linkbeat reports eth0 down");
    (nics.eth0 as Nic).ethtool = true;
    tick();
    (nics.eth0 as Nic).gone = true;
    tick();
    expect(changes).toEqual([
      ["eth0", false],
      ["eth0", true],
      ["eth0", false],
    ]);
  });

  test("what is polled: the block's interfaces, instances' with the flag, never an untracked one", () => {
    const c = configFromText(
      `linkbeat_interfaces {\n eth1 IOCTL\n}\n${inst("eth0", "linkbeat_use_polling")}${inst("eth1")}`,
      "n",
    );
    expect([...polledInterfaces(c)]).toEqual([
      ["eth1", "IOCTL"],
      ["eth0", undefined],
    ]);
    const { lb, lines } = run(`linkbeat_interfaces {\n eth9\n}\n${inst("eth0")}`, {});
    expect(lb.methods()).toEqual({});
    expect(lines.join("\n")).toContain("Turning off linkbeat for eth9 since not used for tracking");
  });
});
