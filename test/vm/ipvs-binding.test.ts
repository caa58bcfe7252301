/**
 * native-bindings/ipvs in a real kernel: boots the VM runner (test/vm/run-in-vm.sh) and
 * runs test/vm/guest/ipvs-binding.ts inside, which programs IPVS through generic netlink
 * and has ipvsadm read every change back. Every PASS line must come, and no FAIL.
 */
import { test } from "bun:test";
import { runGuest } from "./run-guest";

test("the generic-netlink IPVS binding against a real kernel, checked by ipvsadm", async () => {
  await runGuest("ipvs-binding.ts", 16, 300);
}, 400_000);
