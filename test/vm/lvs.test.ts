/**
 * IPVS for real: boots the project's VM runner (test/vm/run-in-vm.sh: Debian's kernel,
 * which has IPVS, under QEMU) and runs test/vm/guest/lvs-e2e.ts inside: keel as a NAT
 * load balancer with three real servers, a client through the VIP, a stopped server out
 * of the table within delay_loop + retries, the sorry server on quorum loss, the service
 * removed on SIGTERM, `keel rs drain/weight/enable` seen by ipvsadm, a BFD_CHECK's
 * real server out and back as its BFD peer (a second keel) stops and starts,
 * nftables_ipvs's ruleset and fwmark services beside keepalived's, with traffic through them,
 * and the checker MIB over SNMP (walk and a realServerWeight set) the same as keepalived
 * 2.2.7's. The guest script prints PASS/FAIL lines; every one must pass.
 */
import { test } from "bun:test";
import { ensureKeel } from "../netns/harness";
import { runGuest } from "./run-guest";

test("keel programs IPVS in a real kernel: NAT through the VIP, failures, sorry server, clean stop", async () => {
  ensureKeel();
  // The guest runs under QEMU's emulation on CI's 2 cores, each keel start inside costs
  // seconds; one run on a host with ten busy processes took over 500 s, and nftables_ipvs
  // and the SNMP walk (keepalived beside keel, each) came after, so the guest gets 1,200 s
  // (a bound for a hung guest, not a speed target: a passing run ends at its last PASS).
  await runGuest("lvs-e2e.ts", 30, 1200, ["nf_tables"]);
}, 1_300_000);
