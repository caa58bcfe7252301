import { describe, expect, test } from "bun:test";
import { sharedConfig } from "../../../src/runtime/config-hash";
import type { InstanceParams } from "../../../src/vrrp/params";

function params(o: Partial<InstanceParams> = {}): InstanceParams {
  const v = (address: string) => ({ address, prefix: 32, family: 4 as const });
  return {
    name: "VI_1",
    ifname: "eth0",
    family: 4,
    version: 2,
    vrid: 51,
    priority: 100,
    wantMaster: false,
    advertIntCs: 100,
    nopreempt: false,
    preemptDelayMs: 0,
    downTimerAdverts: 3,
    vips: [v("10.0.0.1"), v("10.0.0.2")],
    excluded: [],
    routes: [],
    rules: [],
    mcastGroup: "224.0.0.18",
    unicastPeers: [],
    unicast: false,
    checkUnicastSrc: false,
    checksumCompat: "new",
    checksumGroup4: "224.0.0.18",
    v3ChecksumAsV2: false,
    source: "10.0.0.11",
    garpMasterDelayMs: 5000,
    garpMasterRepeat: 5,
    garpMasterRefreshMs: 0,
    garpMasterRefreshRepeat: 1,
    garpLowerPrioDelayMs: 5000,
    garpLowerPrioRepeat: 5,
    lowerPrioNoAdvert: false,
    higherPrioSendAdvert: false,
    ownerIgnoreAdverts: false,
    skipCheckAdvAddr: false,
    strict: false,
    track: { scripts: [], files: [], interfaces: [], processes: [], bfds: [] },
    ...o,
  };
}

describe("the shared-configuration hash", () => {
  const base = sharedConfig(params());

  test("stable, and the same whatever is node-specific", () => {
    expect(base.hash).toMatch(/^[0-9a-f]{16}$/);
    expect(base).toEqual({ hash: base.hash, advertInt: 1, auth: "none" });
    const other = params({
      name: "OTHER",
      ifname: "ens3",
      priority: 150,
      wantMaster: true,
      nopreempt: true,
      source: "10.0.0.12",
      unicastPeers: ["10.0.0.11"],
      vips: [...params().vips].reverse(),
    });
    expect(sharedConfig(other).hash).toBe(base.hash);
  });

  test.each<[string, Partial<InstanceParams>]>([
    ["vrid", { vrid: 52 }],
    ["version", { version: 3 }],
    ["advert_int", { advertIntCs: 200 }],
    ["a VIP", { vips: [{ address: "10.0.0.3", prefix: 32, family: 4 }] }],
    ["a prefix", { vips: [{ address: "10.0.0.1", prefix: 24, family: 4 }, params().vips[1]!] }],
    ["excluded VIPs", { excluded: [{ address: "10.0.0.9", prefix: 32, family: 4 }] }],
    ["the group", { mcastGroup: "224.0.0.19" }],
    ["unicast", { unicast: true }],
    ["auth", { auth: { type: "PASS", pass: "secret" } }],
  ])("%s changes it", (_what, change) => {
    expect(sharedConfig(params(change)).hash).not.toBe(base.hash);
  });

  test("v3_checksum_as_v2 changes it (a node without it drops the other's adverts); unset, the hash is as before", () => {
    const v3 = sharedConfig(params({ version: 3 })).hash;
    expect(sharedConfig(params({ version: 3, v3ChecksumAsV2: true })).hash).not.toBe(v3);
    // the hash of a configuration without the keyword is the one keel computed before it
    expect(base.hash).toBe(sharedConfig(params({ v3ChecksumAsV2: false })).hash);
  });

  test("the password is hashed, never shown; another password, another authHash", () => {
    const a = sharedConfig(params({ auth: { type: "PASS", pass: "secret" } }));
    const b = sharedConfig(params({ auth: { type: "PASS", pass: "secre7" } }));
    expect(a.auth).toBe("PASS");
    expect(JSON.stringify(a)).not.toContain("secret");
    expect(a.authHash).toMatch(/^[0-9a-f]{16}$/);
    expect(b.authHash).not.toBe(a.authHash);
  });
});
