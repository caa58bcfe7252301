// IPVS generic netlink: golden request bytes against what ipvsadm (libipvs) sent for the
// same command, decoding of the kernel's captured replies (checked against what ipvsadm
// printed for them), and decoders that never throw on truncated or random input.
// Captures: test/fixtures/ipvs/ (see its README).
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseMessages } from "../../../native-bindings/netlink/codec";
import { decodeFamily, getFamilyRequest } from "../../../native-bindings/netlink/genl";
import * as I from "../../../native-bindings/ipvs/constants";
import {
  IpvsRequestError,
  decodeDaemon,
  decodeDest,
  decodeInfo,
  decodeService,
  decodeTimeouts,
  startDaemonRequest,
  stopDaemonRequest,
  setTimeoutsRequest,
  getTimeoutsRequest,
  delServiceRequest,
  destRequest,
  dumpDestsRequest,
  dumpServicesRequest,
  flushRequest,
  getInfoRequest,
  serviceRequest,
} from "../../../native-bindings/ipvs/messages";
import type { IpvsDest, IpvsService, IpvsServiceKey } from "../../../native-bindings/ipvs/types";

const FIX = join(import.meta.dir, "../../fixtures/ipvs");
type Msg = {
  dir: "send" | "recv";
  nlmsg_type: number;
  nlmsg_seq: number;
  genl_cmd_name?: string;
  error?: number;
  hex: string;
};
type Step = { id: string; argv: string; rc: number; messages: Msg[] };
const steps: Step[] = JSON.parse(readFileSync(join(FIX, "ipvs-genl-vectors.json"), "utf8")).steps;
const FAMILY = 0x20;

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, "hex"));
const masked = (h: string): string => h.slice(0, 16) + "0".repeat(16) + h.slice(32);
const payloadOf = (h: string): Uint8Array => {
  const m = parseMessages(bytes(h));
  if (!m.ok || m.value.length !== 1) throw new Error("bad capture");
  return m.value[0]?.payload ?? new Uint8Array();
};
function captured(step: string, cmd: string, dir: "send" | "recv" = "send"): Msg[] {
  const s = steps.find((x) => x.id.startsWith(step));
  if (!s) throw new Error(`no step ${step}`);
  const ms = s.messages.filter((m) => m.dir === dir && m.genl_cmd_name === cmd);
  if (ms.length === 0) throw new Error(`step ${step}: no ${dir} ${cmd}`);
  return ms;
}
const one = (step: string, cmd: string) => captured(step, cmd)[0] as Msg;

const v4key: IpvsServiceKey = { family: 4, protocol: "TCP", address: "10.0.0.1", port: 80 };
const v6key: IpvsServiceKey = { family: 6, protocol: "TCP", address: "2001:db8::1", port: 443 };
const svc = (k: IpvsServiceKey, over: Partial<IpvsService> = {}): IpvsService => ({
  ...k,
  scheduler: "wlc",
  flags: 0,
  timeout: 0,
  netmask: k.family === 6 ? 128 : 0xffffffff,
  ...over,
});
const dest = (address: string, port: number, over: Partial<IpvsDest> = {}): IpvsDest => ({
  address,
  port,
  weight: 1,
  method: "NAT",
  upperThreshold: 0,
  lowerThreshold: 0,
  ...over,
});

describe("generic netlink controller", () => {
  test("CTRL_CMD_GETFAMILY IPVS is the request libnl sends", () => {
    const s = steps[0] as Step;
    const req = s.messages.find((m) => m.dir === "send" && m.genl_cmd_name === "CTRL_CMD_GETFAMILY") as Msg;
    expect(masked(hex(getFamilyRequest("IPVS", 1)))).toBe(masked(req.hex));
  });
  test("the NEWFAMILY reply gives the family id the IPVS messages then use", () => {
    const s = steps[0] as Step;
    const rep = s.messages.find((m) => m.dir === "recv" && m.genl_cmd_name === "CTRL_CMD_NEWFAMILY") as Msg;
    const f = decodeFamily(payloadOf(rep.hex));
    expect(f.ok && f.value).toEqual({ id: FAMILY, name: "IPVS", version: 1 });
    expect(one("01", "IPVS_CMD_NEW_SERVICE").nlmsg_type).toBe(FAMILY);
  });
});

describe("requests, byte for byte as ipvsadm sends them", () => {
  const cases: [string, string, string, (seq: number) => Uint8Array][] = [
    [
      "01",
      "IPVS_CMD_NEW_SERVICE",
      "-A -t 10.0.0.1:80 -s wrr",
      (q) => serviceRequest(FAMILY, q, I.IPVS_CMD_NEW_SERVICE, svc(v4key, { scheduler: "wrr" })),
    ],
    [
      "02",
      "IPVS_CMD_NEW_DEST",
      "-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 3",
      (q) => destRequest(FAMILY, q, I.IPVS_CMD_NEW_DEST, v4key, dest("10.0.0.2", 80, { weight: 3 })),
    ],
    [
      "04",
      "IPVS_CMD_SET_DEST",
      "-e ... -m -w 5",
      (q) => destRequest(FAMILY, q, I.IPVS_CMD_SET_DEST, v4key, dest("10.0.0.2", 80, { weight: 5 })),
    ],
    [
      "05",
      "IPVS_CMD_NEW_DEST",
      "-a ... -r 10.0.0.3:80 -g -w 1",
      (q) => destRequest(FAMILY, q, I.IPVS_CMD_NEW_DEST, v4key, dest("10.0.0.3", 80, { method: "DR" })),
    ],
    [
      "06",
      "IPVS_CMD_SET_SERVICE",
      "-E -t 10.0.0.1:80 -s rr",
      (q) => serviceRequest(FAMILY, q, I.IPVS_CMD_SET_SERVICE, svc(v4key, { scheduler: "rr" })),
    ],
    [
      "07",
      "IPVS_CMD_NEW_SERVICE",
      "-A -u 10.0.0.1:53 -s sh -p 300",
      (q) =>
        serviceRequest(
          FAMILY,
          q,
          I.IPVS_CMD_NEW_SERVICE,
          svc(
            { family: 4, protocol: "UDP", address: "10.0.0.1", port: 53 },
            { scheduler: "sh", flags: 1, timeout: 300 },
          ),
        ),
    ],
    [
      "08",
      "IPVS_CMD_NEW_SERVICE",
      "-A -f 42 -s wlc",
      (q) => serviceRequest(FAMILY, q, I.IPVS_CMD_NEW_SERVICE, svc({ family: 4, fwmark: 42 })),
    ],
    [
      "09",
      "IPVS_CMD_NEW_SERVICE",
      "-A -t [2001:db8::1]:443 -s wrr",
      (q) => serviceRequest(FAMILY, q, I.IPVS_CMD_NEW_SERVICE, svc(v6key, { scheduler: "wrr" })),
    ],
    [
      "10",
      "IPVS_CMD_NEW_DEST",
      "-a ... -r [2001:db8::2]:443 -i -w 2",
      (q) =>
        destRequest(
          FAMILY,
          q,
          I.IPVS_CMD_NEW_DEST,
          v6key,
          dest("2001:db8::2", 443, { method: "TUN", weight: 2, tunType: "ipip" }),
        ),
    ],
    // ipvsadm -d fills the destination with its defaults (-g, weight 1); the kernel reads only the address
    [
      "12",
      "IPVS_CMD_DEL_DEST",
      "-d -t 10.0.0.1:80 -r 10.0.0.3:80",
      (q) => destRequest(FAMILY, q, I.IPVS_CMD_DEL_DEST, v4key, dest("10.0.0.3", 80, { method: "DR" })),
    ],
    ["13", "IPVS_CMD_DEL_SERVICE", "-D -t 10.0.0.1:80", (q) => delServiceRequest(FAMILY, q, v4key)],
    ["17", "IPVS_CMD_FLUSH", "-C", (q) => flushRequest(FAMILY, q)],
    ["03", "IPVS_CMD_GET_SERVICE", "-Ln (services)", (q) => dumpServicesRequest(FAMILY, q)],
    ["03", "IPVS_CMD_GET_DEST", "-Ln (destinations)", (q) => dumpDestsRequest(FAMILY, q, v4key)],
    ["01", "IPVS_CMD_GET_INFO", "(every ipvsadm run)", (q) => getInfoRequest(FAMILY, q)],
    [
      "15",
      "IPVS_CMD_SET_CONFIG",
      "--set 900 120 300",
      (q) => setTimeoutsRequest(FAMILY, q, { tcp: 900, tcpFin: 120, udp: 300 }),
    ],
    ["16", "IPVS_CMD_GET_CONFIG", "-L --timeout", (q) => getTimeoutsRequest(FAMILY, q)],
  ];
  for (const [step, cmd, what, build] of cases) {
    test(`${step} ${cmd}: ipvsadm ${what}`, () => {
      const m = one(step, cmd);
      expect(masked(hex(build(m.nlmsg_seq)))).toBe(masked(m.hex));
    });
  }
  test("GET_DEST of a fwmark and of an IPv6 service (step 11)", () => {
    const gets = captured("11", "IPVS_CMD_GET_DEST").map((m) => masked(m.hex));
    expect(gets).toContain(masked(hex(dumpDestsRequest(FAMILY, 0, { family: 4, fwmark: 42 }))));
    expect(gets).toContain(masked(hex(dumpDestsRequest(FAMILY, 0, v6key))));
  });
  test("persistence netmask: a __be32 mask for IPv4, a prefix length for IPv6", () => {
    const v4 = hex(
      serviceRequest(FAMILY, 0, I.IPVS_CMD_NEW_SERVICE, svc(v4key, { flags: 1, timeout: 60, netmask: 0xffffff00 })),
    );
    expect(v4.endsWith("08000900ffffff00")).toBe(true);
    const v6 = hex(
      serviceRequest(FAMILY, 0, I.IPVS_CMD_NEW_SERVICE, svc(v6key, { flags: 1, timeout: 60, netmask: 64 })),
    );
    expect(v6.endsWith("0800090040000000")).toBe(true);
  });
  test("a bad address or an over-long scheduler is refused before anything is sent", () => {
    expect(() => serviceRequest(FAMILY, 0, I.IPVS_CMD_NEW_SERVICE, svc({ ...v4key, address: "10.0.0" }))).toThrow(
      IpvsRequestError,
    );
    expect(() => serviceRequest(FAMILY, 0, I.IPVS_CMD_NEW_SERVICE, svc(v4key, { scheduler: "x".repeat(16) }))).toThrow(
      /longer than 15/,
    );
    expect(() => destRequest(FAMILY, 0, I.IPVS_CMD_NEW_DEST, v6key, dest("10.0.0.9", 443))).toThrow(
      /not an IPv6 address/,
    );
  });
});

describe("the connection sync daemon (libipvs ipvs_start_daemon's layout)", () => {
  test("NEW_DAEMON: state, interface, syncid, then only what is set", () => {
    const h = hex(startDaemonRequest(FAMILY, 0, { state: "master", interface: "eth1", syncId: 51 }));
    // genl header: NEW_DAEMON (9), version 1; the nest (type 3 | NLA_F_NESTED) with STATE 1, MCAST_IFN "eth1", SYNC_ID 51
    expect(h.slice(32)).toBe(
      "09010000" + "20000380" + "0800010001000000" + "0900020065746831" + "00000000" + "0800030033000000",
    );
    const all = startDaemonRequest(FAMILY, 0, {
      state: "backup",
      interface: "eth1",
      syncId: 7,
      maxLen: 1400,
      port: 8850,
      ttl: 2,
      group: "239.1.1.1",
    });
    const back = decodeDaemon(Buffer.from(all).subarray(16));
    expect(back.ok && back.value).toEqual({
      state: "backup",
      interface: "eth1",
      syncId: 7,
      maxLen: 1400,
      port: 8850,
      ttl: 2,
      group: "239.1.1.1",
    });
    const six = decodeDaemon(
      Buffer.from(
        startDaemonRequest(FAMILY, 0, { state: "master", interface: "eth1", syncId: 0, group: "ff02::1:2" }),
      ).subarray(16),
    );
    expect(six.ok && six.value.group).toBe("ff02::1:2");
    expect(() => startDaemonRequest(FAMILY, 0, { state: "master", interface: "x".repeat(16), syncId: 0 })).toThrow(
      /longer than 15/,
    );
  });
  test("DEL_DAEMON: the role alone", () => {
    expect(hex(stopDaemonRequest(FAMILY, 0, "backup")).slice(32)).toBe("0a010000" + "0c000380" + "0800010002000000");
  });
});

describe("replies", () => {
  test("GET_CONFIG: the timeouts ipvsadm -L --timeout printed (900 120 300)", () => {
    const r = decodeTimeouts(payloadOf(captured("16", "IPVS_CMD_SET_CONFIG", "recv")[0]?.hex ?? ""));
    expect(r.ok && r.value).toEqual({ tcp: 900, tcpFin: 120, udp: 300 });
  });
  test("GET_INFO: version 1.2.1, size 4096 (ipvsadm's first line)", () => {
    const r = decodeInfo(payloadOf(captured("01", "IPVS_CMD_SET_INFO", "recv")[0]?.hex ?? ""));
    expect(r.ok && r.value).toEqual({ version: "1.2.1", connTabSize: 4096 });
    expect(readFileSync(join(FIX, "11-list-numeric-stats.stdout"), "utf8")).toStartWith(
      "IP Virtual Server version 1.2.1 (size=4096)",
    );
  });

  test("step 11's dump decodes to the table ipvsadm printed", () => {
    const services = captured("11", "IPVS_CMD_NEW_SERVICE", "recv").map((m) => {
      const r = decodeService(payloadOf(m.hex));
      if (!r.ok) throw new Error(r.error.message);
      return r.value;
    });
    const strip = services.map(({ stats, ...s }) => ({ ...s, hasStats: stats !== undefined }));
    expect(strip).toEqual([
      {
        family: 4,
        protocol: "TCP",
        address: "10.0.0.1",
        port: 80,
        scheduler: "rr",
        flags: 2,
        timeout: 0,
        netmask: 0xffffffff,
        hasStats: true,
      },
      {
        family: 6,
        protocol: "TCP",
        address: "2001:db8::1",
        port: 443,
        scheduler: "wrr",
        flags: 2,
        timeout: 0,
        netmask: 128,
        hasStats: true,
      },
      {
        family: 4,
        protocol: "UDP",
        address: "10.0.0.1",
        port: 53,
        scheduler: "sh",
        flags: 3,
        timeout: 300,
        netmask: 0xffffffff,
        hasStats: true,
      },
      { family: 4, fwmark: 42, scheduler: "wlc", flags: 2, timeout: 0, netmask: 0xffffffff, hasStats: true },
    ]);
    const dests = captured("11", "IPVS_CMD_NEW_DEST", "recv").map((m) => {
      const r = decodeDest(payloadOf(m.hex), 4);
      if (!r.ok) throw new Error(r.error.message);
      const { stats, ...d } = r.value;
      return d;
    });
    expect(dests).toEqual([
      {
        address: "10.0.0.3",
        port: 80,
        weight: 1,
        method: "DR",
        upperThreshold: 0,
        lowerThreshold: 0,
        activeConns: 0,
        inactiveConns: 0,
        persistentConns: 0,
      },
      {
        address: "10.0.0.2",
        port: 80,
        weight: 5,
        method: "NAT",
        upperThreshold: 0,
        lowerThreshold: 0,
        activeConns: 0,
        inactiveConns: 0,
        persistentConns: 0,
      },
      // decoded as if the service were IPv4: ADDR_FAMILY says otherwise, so the family is kept
      {
        address: "2001:db8::2",
        port: 443,
        family: 6,
        weight: 2,
        method: "TUN",
        tunType: "ipip",
        upperThreshold: 0,
        lowerThreshold: 0,
        activeConns: 0,
        inactiveConns: 0,
        persistentConns: 0,
      },
    ]);
    // and as ipvsadm printed them
    const out = readFileSync(join(FIX, "11-list-numeric-stats.stdout"), "utf8");
    for (const s of [
      "TCP  10.0.0.1:80",
      "UDP  10.0.0.1:53",
      "TCP  [2001:db8::1]:443",
      "FWM  42",
      "-> 10.0.0.2:80",
      "-> 10.0.0.3:80",
      "-> [2001:db8::2]:443",
    ])
      expect(out).toContain(s);
  });

  test("statistics: STATS64 preferred, zero counters decoded as 0n", () => {
    const m = captured("11", "IPVS_CMD_NEW_SERVICE", "recv")[0] as Msg;
    const r = decodeService(payloadOf(m.hex));
    expect(r.ok && r.value.stats).toEqual({
      conns: 0n,
      inPackets: 0n,
      outPackets: 0n,
      inBytes: 0n,
      outBytes: 0n,
      cps: 0n,
      inPps: 0n,
      outPps: 0n,
      inBps: 0n,
      outBps: 0n,
    });
  });

  test("decoders never throw on truncated or random input", () => {
    const samples = [
      ...captured("11", "IPVS_CMD_NEW_SERVICE", "recv"),
      ...captured("11", "IPVS_CMD_NEW_DEST", "recv"),
    ].map((m) => payloadOf(m.hex));
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (const p of samples) {
      for (let cut = 0; cut < p.length; cut += 3) {
        expect(() => decodeService(p.subarray(0, cut))).not.toThrow();
        expect(() => decodeDest(p.subarray(0, cut), 4)).not.toThrow();
      }
      for (let i = 0; i < 200; i++) {
        const q = p.slice();
        q[rnd() % q.length] = rnd() & 0xff;
        expect(() => decodeService(q)).not.toThrow();
        expect(() => decodeDest(q, 6)).not.toThrow();
        expect(() => decodeInfo(q)).not.toThrow();
      }
    }
    const bad = decodeService(new Uint8Array([5, 1, 0, 0]));
    expect(bad.ok).toBe(false);
  });
});
