// The receive-buffer rules of keepalived 2.2.7 (src/runtime/rx-bufs.ts); the interop test
// test/interop/rx-bufs.test.ts reads the result from keel's and keepalived's sockets.
import { describe, expect, test } from "bun:test";
import { createGlobalDefs } from "../../../src/config/global/model";
import { type RxMember, advertLength, memberShare, netlinkBufs } from "../../../src/runtime/rx-bufs";

const g = { vrrpRxBufsPolicy: undefined, vrrpRxBufsSize: undefined, vrrpRxBufsMultiplier: 3 } as const;
const v2: RxMember = { family: 4, version: 2, vips: 2, ah: false, mtu: 1500 };

describe("VRRP socket shares (vrrp_create_sockpool)", () => {
  test("advert lengths: IPv4 v2 with auth data, v3 without, AH adds its header, IPv6 has no IP header", () => {
    expect(advertLength(v2)).toBe(8 + 8 + 8 + 20);
    expect(advertLength({ ...v2, version: 3 })).toBe(8 + 8 + 20);
    expect(advertLength({ ...v2, ah: true })).toBe(44 + 24);
    expect(advertLength({ ...v2, family: 6, version: 3, vips: 3 })).toBe(8 + 48);
  });

  test("kernel_rx_buf_size, then a size, then ADVERT or MTU × the multiplier; nothing set is 0", () => {
    expect(memberShare(g, v2)).toBe(0);
    expect(memberShare({ ...g, vrrpRxBufsPolicy: "advert" }, v2)).toBe(3 * 44);
    expect(memberShare({ ...g, vrrpRxBufsPolicy: "mtu", vrrpRxBufsMultiplier: 4 }, v2)).toBe(6000);
    expect(memberShare({ ...g, vrrpRxBufsPolicy: "mtu" }, { ...v2, mtu: undefined })).toBe(0);
    expect(memberShare({ ...g, vrrpRxBufsSize: 5000 }, v2)).toBe(5000);
    expect(memberShare({ ...g, vrrpRxBufsSize: 5000 }, { ...v2, kernelRxBufSize: 7 })).toBe(7);
  });
});

describe("netlink buffers", () => {
  test("each process takes its own keywords; unset leaves keel's sizes", () => {
    const d = createGlobalDefs();
    expect(netlinkBufs(d, "vrrp")).toEqual({ cmd: undefined, monitor: undefined });
    const s = {
      ...d,
      vrrpNetlinkCmdRcvBufs: 1000,
      lvsNetlinkMonitorRcvBufs: 2000,
      lvsNetlinkMonitorRcvBufsForce: true,
    };
    expect(netlinkBufs(s, "vrrp")).toEqual({ cmd: { bytes: 1000, force: false }, monitor: undefined });
    expect(netlinkBufs(s, "lvs")).toEqual({ cmd: undefined, monitor: { bytes: 2000, force: true } });
  });
});
