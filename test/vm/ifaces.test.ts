/**
 * use_ipvlan and VRF-enslaved VMACs/ipvlans for real: this machine's kernel has neither
 * ipvlan nor vrf, Debian's has both as modules, so the VM runner boots it with those two
 * preloaded and runs test/vm/guest/ifaces-e2e.ts: keepalived 2.2.7, then keel, with one
 * config; then a unicast instance without an interface in vrf0 (`vrf`), keel against
 * keepalived as its peer; then routes with `encap mpls` and `encap ila` (mpls_router,
 * mpls_iptunnel and ila, also modules there), keel against keepalived and `ip route add`;
 * every PASS line must come, no FAIL.
 */
import { test } from "bun:test";
import { ensureKeel } from "../netns/harness";
import { runGuest } from "./run-guest";

test("use_ipvlan and VMACs/ipvlans in a VRF, as keepalived makes them", async () => {
  ensureKeel();
  // a bound for a hung guest under QEMU's emulation, not a speed target
  await runGuest("ifaces-e2e.ts", 22, 900, ["ipvlan", "vrf", "mpls_router", "mpls_iptunnel", "ila"]);
}, 1_000_000);
