/**
 * Runs INSIDE the IPVS VM: keepalived 2.2.7 (the host's, through the shared /usr) with
 * test/fixtures/nft-ipvs/keepalived.conf, its checker only, in a namespace; writes its
 * `nft -j list ruleset` (nftables_ipvs's tables) and `ipvsadm -Ln` next to the config (and
 * the ruleset again with nftables_counters added),
 * for test/netns/nft-ipvs.test.ts. Regenerate with:
 *   test/vm/run-in-vm.sh --share $PWD --share $(realpath node_modules) --module nf_tables \
 *     -- $(realpath node_modules/.bin/bun) test/vm/guest/nft-ipvs-reference.ts
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { withCounters } from "../../fixtures/nft-ipvs/counters";
import { sh } from "./report";

const DIR = join(import.meta.dir, "../../fixtures/nft-ipvs");
const tmp = mkdtempSync("/tmp/nft-ipvs-ref-");

/** keepalived on `conf` in a fresh namespace: its ruleset into `rulesetFile`, its table into `ipvsFile` */
async function capture(conf: string, rulesetFile: string, ipvsFile?: string): Promise<void> {
  sh("ip netns add ref && ip -n ref link set lo up");
  const p = Bun.spawn(
    ["ip", "netns", "exec", "ref", "keepalived", "-n", "-l", "-D", "-C", "-f", conf].concat([
      "-p",
      `${tmp}/p`,
      "-c",
      `${tmp}/c`,
      "-r",
      `${tmp}/r`,
    ]),
    { stdout: "inherit", stderr: "inherit" },
  );
  // the last service keepalived adds is G3's fwmark 7: the tables are complete by then
  let table = "";
  for (let i = 0; i < 600 && !/FWM {2}7/.test(table); i++) {
    await Bun.sleep(100);
    table = sh("ip netns exec ref ipvsadm -Ln");
  }
  writeFileSync(join(DIR, rulesetFile), sh("ip netns exec ref nft -j list ruleset"));
  if (ipvsFile) writeFileSync(join(DIR, ipvsFile), table);
  p.kill("SIGTERM");
  await p.exited;
  const after = sh("ip netns exec ref nft list ruleset");
  console.log(
    after === "" ? `PASS: ${rulesetFile}; keepalived removed its tables at stop` : `FAIL: left behind:\n${after}`,
  );
  sh("ip netns del ref");
}

const conf = join(DIR, "keepalived.conf");
await capture(conf, "keepalived-ruleset.json", "keepalived-ipvsadm.txt");
// the same with nftables_counters: a counter on the maps' elements and in the rules
const counters = join(tmp, "counters.conf");
writeFileSync(counters, withCounters(readFileSync(conf, "utf8")));
await capture(counters, "keepalived-ruleset-counters.json");
