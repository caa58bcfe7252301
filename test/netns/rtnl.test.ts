/**
 * native-bindings/netlink against the real kernel, in a throwaway namespace (never the
 * host's interfaces). bun test runs in the host namespace, so the code under test runs
 * in a child: `ip netns exec NS bun test/netns/fixtures/rtnl-ops.ts '<calls>'`; the
 * results are checked with `ip -j` in the same namespace.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "../..");
const BUN = join(ROOT, "node_modules/.bin/bun");
const PREFIX = `knl${process.pid}-`;
const NS = `${PREFIX}a`;
const T = 30_000;

function sh(cmd: string[], allowFail = false): string {
  const p = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  if (p.exitCode !== 0 && !allowFail) throw new Error(`${cmd.join(" ")}: exit ${p.exitCode}: ${p.stderr.toString()}`);
  return p.stdout.toString();
}
const ip = (...args: string[]): string => sh(["ip", "-n", NS, ...args]);
// biome-ignore lint/suspicious/noExplicitAny: ip -j output is loosely typed JSON
const ipj = (...args: string[]): any[] => JSON.parse(sh(["ip", "-n", NS, "-j", ...args]) || "[]");

type OpResult = {
  ok: boolean;
  value?: unknown;
  ms: number;
  error?: { name: string; code?: string; errno?: number; extack?: string; message: string; request?: string };
};
function run(calls: { call: string; args: unknown[] }[]): OpResult[] {
  const out = sh([
    "ip",
    "netns",
    "exec",
    NS,
    BUN,
    join(import.meta.dir, "fixtures/rtnl-ops.ts"),
    JSON.stringify(calls),
  ]);
  return out
    .trim()
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l));
}
function ok(r: OpResult | undefined): unknown {
  if (!r?.ok) throw new Error(`call failed: ${JSON.stringify(r?.error)}`);
  return r.value;
}
const idx = (name: string): number => ipj("link", "show", "dev", name)[0].ifindex;

let d0 = 0;
let d1 = 0;

beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error("test/netns/rtnl.test.ts needs root (network namespaces)");
  if (!Bun.which("ip")) throw new Error("test/netns/rtnl.test.ts needs iproute2 (ip)");
  sh(["ip", "netns", "add", NS]);
  ip("link", "set", "lo", "up");
  ip("link", "add", "d0", "type", "veth", "peer", "name", "d1");
  ip("link", "set", "d0", "up");
  ip("link", "set", "d1", "up");
  ip("addr", "add", "10.0.0.100/24", "dev", "d0");
  d0 = idx("d0");
  d1 = idx("d1");
});

afterAll(() => {
  // every namespace with this run's prefix, even when a test failed half-way
  for (const line of sh(["ip", "netns", "list"], true).split("\n")) {
    const name = line.split(" ")[0];
    if (name?.startsWith(PREFIX)) sh(["ip", "netns", "del", name], true);
  }
});

describe("addresses", () => {
  test(
    "add/del with label, scope, broadcast; listAddresses sees it",
    () => {
      const spec = {
        ifindex: d0,
        family: 4,
        address: "10.0.1.1",
        prefixLen: 24,
        label: "d0:vip",
        scope: 253,
        broadcast: "10.0.1.255",
      };
      const [add, list] = run([
        { call: "addAddress", args: [spec] },
        { call: "listAddresses", args: [4] },
      ]);
      ok(add);
      const a = ipj("addr", "show", "dev", "d0")[0].addr_info.find((x: { local: string }) => x.local === "10.0.1.1");
      expect(a).toMatchObject({
        family: "inet",
        prefixlen: 24,
        scope: "link",
        label: "d0:vip",
        broadcast: "10.0.1.255",
      });
      expect(ok(list)).toContainEqual({
        ifindex: d0,
        family: 4,
        address: "10.0.1.1",
        prefixLen: 24,
        label: "d0:vip",
        scope: 253,
        flags: 128,
      });
      ok(run([{ call: "delAddress", args: [spec] }])[0]);
      expect(JSON.stringify(ipj("addr", "show", "dev", "d0"))).not.toContain("10.0.1.1");
    },
    T,
  );

  test(
    "IPv6 with nodad is usable at once (not tentative); noprefixroute adds no route",
    () => {
      ok(
        run([
          {
            call: "addAddress",
            args: [{ ifindex: d0, family: 6, address: "2001:db8::1", prefixLen: 64, nodad: true, noprefixroute: true }],
          },
        ])[0],
      );
      const a = ipj("addr", "show", "dev", "d0")[0].addr_info.find((x: { local: string }) => x.local === "2001:db8::1");
      expect(a).toMatchObject({ family: "inet6", prefixlen: 64, nodad: true, noprefixroute: true });
      expect(a.tentative).toBeUndefined();
      expect(JSON.stringify(ipj("-6", "route", "show", "dev", "d0"))).not.toContain("2001:db8::/64");
      ok(run([{ call: "delAddress", args: [{ ifindex: d0, family: 6, address: "2001:db8::1", prefixLen: 64 }] }])[0]);
      expect(JSON.stringify(ipj("addr", "show", "dev", "d0"))).not.toContain("2001:db8::1");
    },
    T,
  );

  test(
    "EEXIST: code, errno, request and message (with the kernel's extack text when it sends one)",
    () => {
      const spec = { ifindex: d0, family: 4, address: "10.0.2.1", prefixLen: 24 };
      const [first, second, gone, missing, badLabel, given] = run([
        { call: "addAddress", args: [spec] },
        { call: "addAddress", args: [spec] },
        { call: "delAddress", args: [spec] },
        { call: "delAddress", args: [spec] },
        { call: "addAddress", args: [{ ...spec, label: "eth9:x" }] },
        // a name from the caller (the driver's link table) is the one used: no if_indextoname
        { call: "addAddresses", args: [[{ ...spec, ifname: "given0", label: "eth9:x" }]] },
      ]);
      ok(first);
      expect(second?.ok).toBe(false);
      const e = second!.error!;
      expect(e).toMatchObject({
        name: "NetlinkError",
        code: "EEXIST",
        errno: 17,
        request: "RTM_NEWADDR 10.0.2.1/24 dev d0",
      });
      expect(e.message.startsWith("RTM_NEWADDR 10.0.2.1/24 dev d0: File exists (EEXIST)")).toBe(true);
      if (e.extack !== undefined) expect(e.message).toEndWith(`: ${e.extack}`);
      console.log(`EEXIST message: ${e.message}`);
      ok(gone);
      expect(missing?.error?.code).toBe("EADDRNOTAVAIL");
      expect(badLabel?.error).toMatchObject({ code: "EINVAL" });
      expect(badLabel?.error?.message).toContain("must start with the interface name");
      const [givenError] = ok(given) as ({ message: string } | null)[];
      expect(givenError?.message).toContain("RTM_NEWADDR 10.0.2.1/24 dev given0 label eth9:x: ");
      expect(givenError?.message).toContain('must start with the interface name "given0"');
    },
    T,
  );

  test(
    "a batch of 1,000 addresses: add, then delete; a failure between successes is reported for its own item",
    () => {
      const r = ok(run([{ call: "batchAddresses", args: [{ ifindex: d1, count: 1000, base: "10.77" }] }])[0]) as {
        addErrors: string[];
        delErrors: string[];
        againCodes: (string | null)[];
        mixedCodes: (string | null)[];
        mixedPresent: number;
        afterAdd: number;
        addMs: number;
        delMs: number;
      };
      console.log(`1,000 addresses: add ${r.addMs.toFixed(1)} ms, delete ${r.delMs.toFixed(1)} ms`);
      expect(r.addErrors).toEqual([]);
      expect(r.delErrors).toEqual([]);
      expect(r.afterAdd).toBe(1000);
      expect(r.againCodes).toEqual(["EEXIST", "EEXIST", "EEXIST"]);
      expect(r.mixedCodes).toEqual([null, "EEXIST", null]);
      expect(r.mixedPresent).toBe(2);
      expect(JSON.stringify(ipj("addr", "show", "dev", "d1"))).not.toContain("10.77.");
    },
    T,
  );
});

describe("addresses laid out ahead (a backup's VIPs, for its takeover)", () => {
  test(
    "300 addresses and one the encoder refuses: sent, sent again with fresh numbers (EEXIST), deleted",
    () => {
      const r = ok(run([{ call: "laidOutAddresses", args: [{ ifindex: d1, count: 300, base: "10.78" }] }])[0]) as {
        before: number;
        afterFirst: number;
        firstCodes: (string | null)[];
        refusedAt: number;
        refused?: string;
        secondCodes: (string | null)[];
        secondRefusedAt: number;
        deleteErrors: number;
        afterDelete: number;
      };
      // laying out sends nothing; the sends cross a chunk boundary (128 per sendmsg)
      expect(r.before).toBe(0);
      expect(r.afterFirst).toBe(300);
      expect(r.refusedAt).toBe(150);
      expect(r.refused).toContain("10.0.0.300");
      expect(r.firstCodes.sort()).toEqual(["EINVAL", null].sort());
      // the same batch again: every request answered for itself
      expect(r.secondCodes.sort()).toEqual(["EEXIST", "EINVAL"].sort());
      expect(r.secondRefusedAt).toBe(150);
      expect(r.deleteErrors).toBe(0);
      expect(r.afterDelete).toBe(0);
    },
    T,
  );
});

describe("addresses queued for the kernel to send at a deadline (a takeover's VIPs)", () => {
  test(
    "sent at the deadline while the process spins; their ACKs read by another request kept for the claim; one far off cancelled",
    () => {
      const r = ok(run([{ call: "queuedAddresses", args: [{ ifindex: d1, count: 100, base: "10.79" }] }])[0]) as {
        atQueue: number;
        afterDeadline: number;
        failedAt: number;
        codes: (string | null)[];
        cancelled: unknown;
        deleteErrors: number;
        afterDelete: number;
      };
      expect(r.atQueue).toBe(0);
      expect(r.afterDeadline).toBe(100);
      // the one on a missing interface answered for itself (its error reply), the others by the last ACK
      expect(r.failedAt).toBe(50);
      expect(r.codes.sort()).toEqual(["ENODEV", null].sort());
      expect(r.cancelled).toBe("cancelled");
      expect(r.deleteErrors).toBe(0);
      expect(r.afterDelete).toBe(0);
    },
    T,
  );
});

describe("routes", () => {
  test(
    "table/metric/via, table >= 256, blackhole, src, IPv6; delete; ESRCH",
    () => {
      const routes = [
        { family: 4, dst: "192.168.5.0", prefixLen: 24, via: "10.0.0.254", ifindex: d0, table: 100, metric: 10 },
        { family: 4, dst: "192.168.6.0", prefixLen: 24, via: "10.0.0.254", table: 1000 },
        { family: 4, dst: "192.168.7.0", prefixLen: 24, type: "blackhole" },
        { family: 4, dst: "192.168.8.1", src: "10.0.0.100", ifindex: d0, scope: 253 },
      ];
      const res = run(routes.map((r) => ({ call: "addRoute", args: [r] })));
      res.forEach(ok);
      expect(ipj("route", "show", "table", "100")).toContainEqual(
        expect.objectContaining({
          dst: "192.168.5.0/24",
          gateway: "10.0.0.254",
          dev: "d0",
          metric: 10,
          protocol: "keepalived",
        }),
      );
      expect(ipj("route", "show", "table", "1000")).toContainEqual(
        expect.objectContaining({ dst: "192.168.6.0/24", gateway: "10.0.0.254", dev: "d0" }),
      );
      expect(ipj("route", "show")).toContainEqual(
        expect.objectContaining({ type: "blackhole", dst: "192.168.7.0/24", protocol: "keepalived" }),
      );
      expect(ipj("route", "show")).toContainEqual(
        expect.objectContaining({ dst: "192.168.8.1", dev: "d0", scope: "link", prefsrc: "10.0.0.100" }),
      );

      // IPv6 needs an address on the link for its gateway to be reachable
      ip("addr", "add", "2001:db8:f::100/64", "dev", "d0", "nodad");
      const r6 = { family: 6, dst: "2001:db8:1::", prefixLen: 48, via: "2001:db8:f::1", ifindex: d0, metric: 5 };
      ok(run([{ call: "addRoute", args: [r6] }])[0]);
      expect(ipj("-6", "route", "show")).toContainEqual(
        expect.objectContaining({ dst: "2001:db8:1::/48", gateway: "2001:db8:f::1", metric: 5 }),
      );

      const del = run([...routes, r6].map((r) => ({ call: "delRoute", args: [r] })));
      del.forEach(ok);
      expect(JSON.stringify(ipj("route", "show", "table", "all"))).not.toMatch(/192\.168\.[5-8]\.|2001:db8:1::/);
      const again = run([{ call: "delRoute", args: [routes[0]] }])[0];
      expect(again?.error).toMatchObject({
        code: "ESRCH",
        request: "RTM_DELROUTE 192.168.5.0/24 via 10.0.0.254 dev d0 table 100 metric 10",
      });
    },
    T,
  );
});

describe("rules", () => {
  test(
    "from/to/fwmark/iif/oif/not/tos, tables < and >= 256, IPv6; delete",
    () => {
      const rules = [
        { family: 4, from: "10.0.0.0", fromLen: 24, table: 100, priority: 100 },
        {
          family: 4,
          to: "192.168.0.0",
          toLen: 16,
          table: 1000,
          priority: 200,
          fwmark: 0x10,
          fwmask: 0xff,
          iif: "d0",
          oif: "d1",
          invert: true,
          tos: 0x10,
        },
        { family: 6, from: "2001:db8::", fromLen: 64, table: 100, priority: 300 },
      ];
      run(rules.map((r) => ({ call: "addRule", args: [r] }))).forEach(ok);
      const v4 = ipj("rule", "show");
      expect(v4).toContainEqual(expect.objectContaining({ priority: 100, src: "10.0.0.0", srclen: 24, table: "100" }));
      expect(v4).toContainEqual(
        expect.objectContaining({
          priority: 200,
          not: null,
          dst: "192.168.0.0",
          dstlen: 16,
          fwmark: "0x10",
          fwmask: "0xff",
          iif: "d0",
          oif: "d1",
          table: "1000",
          tos: "0x10",
        }),
      );
      expect(ipj("-6", "rule", "show")).toContainEqual(
        expect.objectContaining({ priority: 300, src: "2001:db8::", srclen: 64, table: "100" }),
      );
      const dup = run([{ call: "addRule", args: [rules[0]] }])[0];
      expect(dup?.error?.code).toBe("EEXIST");
      run(rules.map((r) => ({ call: "delRule", args: [r] }))).forEach(ok);
      expect(ipj("rule", "show").map((r: { priority: number }) => r.priority)).not.toContain(100);
      expect(ipj("rule", "show").map((r: { priority: number }) => r.priority)).not.toContain(200);
      expect(ipj("-6", "rule", "show").map((r: { priority: number }) => r.priority)).not.toContain(300);
      const gone = run([{ call: "delRule", args: [rules[0]] }])[0];
      expect(gone?.error?.code).toBe("ENOENT");
    },
    T,
  );
});

describe("links", () => {
  test(
    "macvlan (VMAC): created down with mac, mode private, link; up; down; delete",
    () => {
      const mac = [0x00, 0x00, 0x5e, 0x00, 0x01, 0x05];
      const [created, links] = run([
        { call: "createMacvlan", args: [{ name: "vrrp.5", link: d0, mac }] },
        { call: "listLinks", args: [] },
      ]);
      const index = ok(created) as number;
      const l = ipj("-d", "link", "show", "dev", "vrrp.5")[0];
      expect(l.ifindex).toBe(index);
      expect(l.address).toBe("00:00:5e:00:01:05");
      expect(l.link).toBe("d0");
      expect(l.linkinfo).toMatchObject({ info_kind: "macvlan", info_data: { mode: "private" } });
      expect(l.flags).not.toContain("UP");
      expect(ok(links)).toContainEqual(
        expect.objectContaining({ ifindex: index, name: "vrrp.5", kind: "macvlan", link: d0, up: false, mac }),
      );

      ok(run([{ call: "setLinkUp", args: [index, true] }])[0]);
      expect(ipj("link", "show", "dev", "vrrp.5")[0].flags).toContain("UP");
      ok(run([{ call: "setLinkUp", args: [index, false] }])[0]);
      expect(ipj("link", "show", "dev", "vrrp.5")[0].flags).not.toContain("UP");

      const dup = run([{ call: "createMacvlan", args: [{ name: "vrrp.5", link: d0, mac }] }])[0];
      expect(dup?.error?.code).toBe("EEXIST");
      const bridge = run([
        { call: "createMacvlan", args: [{ name: "vrrp.6", link: d0, mac: [0, 0, 0x5e, 0, 2, 6], mode: "bridge" }] },
      ])[0];
      expect(ipj("-d", "link", "show", "dev", "vrrp.6")[0].linkinfo.info_data.mode).toBe("bridge");

      run([
        { call: "deleteLink", args: [index] },
        { call: "deleteLink", args: [ok(bridge)] },
      ]).forEach(ok);
      expect(sh(["ip", "-n", NS, "link", "show", "dev", "vrrp.5"], true)).toBe("");
      const gone = run([{ call: "deleteLink", args: [index] }])[0];
      expect(gone?.error?.code).toBe("ENODEV");
    },
    T,
  );
});

describe("watchRtnl", () => {
  test(
    "link down/up and an address deleted by `ip addr del` arrive as events; the watch's own port's are `own` (IPv4)",
    () => {
      ip("addr", "add", "10.9.9.9/32", "dev", "d0");
      const cmds = [
        ["ip", "link", "set", "d1", "down"],
        ["ip", "link", "set", "d1", "up"],
        ["ip", "addr", "del", "10.9.9.9/32", "dev", "d0"],
        ["ip", "addr", "add", "2001:db8:9::9/64", "dev", "d0", "nodad"],
      ];
      const out = sh([
        "ip",
        "netns",
        "exec",
        NS,
        BUN,
        join(import.meta.dir, "fixtures/rtnl-watch.ts"),
        JSON.stringify(cmds),
        JSON.stringify([{ ifindex: d0, family: 4, address: "10.9.9.8", prefixLen: 32 }]),
      ]);
      const events = out
        .trim()
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l));
      const d1Events = events.filter((e) => e.type === "link" && e.name === "d1");
      const downAt = d1Events.findIndex((e) => e.action === "new" && !e.up);
      const upAt = d1Events.findIndex((e, i) => i > downAt && e.action === "new" && e.up);
      expect(downAt).toBeGreaterThanOrEqual(0);
      expect(upAt).toBeGreaterThan(downAt);
      expect(events).toContainEqual(
        expect.objectContaining({
          type: "addr",
          action: "del",
          address: "10.9.9.9",
          prefixLen: 32,
          ifindex: d0,
          family: 4,
          own: false,
        }),
      );
      // the kernel names the requester's port in IPv4's notifications (rtmsg_ifa): keel's
      // own VIP deletion is not someone's `ip addr del` (vrrp-driver.ts vipDeleted)
      for (const action of ["new", "del"])
        expect(events).toContainEqual(
          expect.objectContaining({ type: "addr", action, address: "10.9.9.8", ifindex: d0, own: true }),
        );
      expect(events).toContainEqual(
        expect.objectContaining({ type: "addr", action: "new", address: "2001:db8:9::9", prefixLen: 64, family: 6 }),
      );
      expect(events.filter((e) => e.type === "overrun")).toEqual([]);
    },
    T,
  );
});
