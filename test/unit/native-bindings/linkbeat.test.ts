/**
 * native-bindings/linkbeat.ts against the kernel, on the loopback interface (read only:
 * every ioctl here is a GET): lo answers ETHTOOL_GLINK (always_on), has no MII
 * (EOPNOTSUPP) and is IFF_UP | IFF_RUNNING. The veth answers are exercised by
 * test/interop/linkbeat.test.ts.
 */
import { afterAll, expect, test } from "bun:test";
import { LinkbeatSocket } from "../../../native-bindings/linkbeat";

const s = LinkbeatSocket.open();
afterAll(() => s.close());

test("SIOCETHTOOL ETHTOOL_GLINK: lo has link", () => {
  expect(s.ethtoolLink("lo")).toEqual({ ok: true, value: true });
});

test("SIOCGMIIPHY / SIOCGMIIREG: lo has no MII, refused with EOPNOTSUPP", () => {
  expect(s.miiPhy("lo")).toEqual({ ok: false, errno: 95 });
  expect(s.miiRead("lo", 0, 1)).toEqual({ ok: false, errno: 95 });
});

test("SIOCGIFFLAGS: lo is UP, LOOPBACK and RUNNING; a missing interface is ENODEV", () => {
  const f = s.flags("lo");
  expect(f.ok && f.value & (0x1 | 0x8 | 0x40)).toBe(0x49);
  expect(s.flags("no-such-if0")).toEqual({ ok: false, errno: 19 });
  expect(s.ethtoolLink("no-such-if0")).toEqual({ ok: false, errno: 19 });
});
