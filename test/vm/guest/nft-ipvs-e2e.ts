/**
 * nftables_ipvs in the IPVS VM, a part of test/vm/guest/lvs-e2e.ts: that script's keel also
 * runs test/fixtures/nft-ipvs/keepalived.conf's groups (NFT_IPVS_GLOBALS in its global_defs,
 * NFT_IPVS_BLOCKS after its own virtual servers; the groups' addresses are not its VIP's),
 * so no second keel has to start under emulation. While it runs, keepalived 2.2.7 (checker
 * only) runs the fixture in a namespace of its own (IPVS and nf_tables are per namespace):
 * the two must hold the same `nft -j list ruleset` (handles aside) and the same `ipvsadm
 * -Ln` for the fixture's services (one fwmark service per group and family). The client
 * then reaches the real servers at each of G1's addresses through keel's fwmark service
 * 2000 (no service of its own covers 10.10.0.210:80), and after keel's SIGTERM neither its
 * tables nor its fwmark services are left. Four PASS lines (or FAIL).
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ko, ok, sh } from "./report";

const FIXTURE = join(import.meta.dir, "../../fixtures/nft-ipvs/keepalived.conf");
const TEXT = readFileSync(FIXTURE, "utf8");
/** the fixture's global_defs lines (nftables_ipvs and its settings) */
export const NFT_IPVS_GLOBALS = (/global_defs \{\n([\s\S]*?)\n\}\n/.exec(TEXT)?.[1] ?? "").trimEnd();
/** the fixture's groups and virtual servers */
export const NFT_IPVS_BLOCKS = TEXT.slice(TEXT.indexOf("virtual_server_group"));
const ADDRS = ["10.10.0.200", "10.10.0.201", "10.10.0.210"];
const inNs = (ns: string, cmd: string) => sh(`ip netns exec ${ns} ${cmd}`);

type Json = unknown;
/** `nft -j list ruleset` without its version line and handles, elements sorted (as test/netns/nft-ipvs.test.ts) */
function ruleset(ns: string): string {
  const j = JSON.parse(inNs(ns, "nft -j list ruleset")) as { nftables: Record<string, Json>[] };
  const strip = (v: Json): Json => {
    if (Array.isArray(v)) return v.map(strip);
    if (v === null || typeof v !== "object") return v;
    const o: Record<string, Json> = {};
    for (const [k, x] of Object.entries(v as Record<string, Json>)) {
      if (k === "handle") continue;
      o[k] = k === "elem" && Array.isArray(x) ? x.map((e) => JSON.stringify(strip(e))).sort() : strip(x);
    }
    return o;
  };
  return JSON.stringify(j.nftables.filter((o) => !("metainfo" in o)).map(strip));
}

/** `ipvsadm -Ln` as sorted service blocks (the kernel lists services in hash order), without lvs-e2e's own VIP */
function ipvs(ns: string): string[] {
  const blocks: string[] = [];
  for (const l of inNs(ns, "ipvsadm -Ln").split("\n").slice(3)) {
    if (!l.trim()) continue;
    if (l.startsWith("  ->")) blocks[blocks.length - 1] += `\n${l.trim().split(/\s+/).slice(0, 4).join(" ")}`;
    else blocks.push(l.trim().replace(/\s+/g, " "));
  }
  return blocks
    .filter((b) => !b.includes("10.10.0.100:"))
    .map((b) => {
      const [head, ...dests] = b.split("\n");
      return [head, ...dests.sort()].join("\n");
    })
    .sort();
}

/** the fixture's services are all there: G2's IPv6 fwmark service and G3's two */
const complete = (ns: string) => {
  const t = ipvs(ns);
  return t.length === 5 && t.some((b) => b.startsWith("FWM 2002 IPv6")) && t.some((b) => b.startsWith("FWM 7"));
};

async function waitFor(what: string, cond: () => boolean, ms: number): Promise<boolean> {
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    if (cond()) return true;
    await Bun.sleep(100);
  }
  ko(`nftables_ipvs: ${what} not within ${ms} ms`);
  return false;
}

/** keepalived on the fixture in namespace `ka`: its ruleset and table once complete, then stopped. */
async function keepalived(dir: string): Promise<{ rules: string; table: string[] }> {
  sh("ip netns add ka && ip -n ka link set lo up");
  const p = Bun.spawn(
    ["ip", "netns", "exec", "ka", "keepalived", "-n", "-l", "-C", "-f", FIXTURE].concat([
      "-p",
      `${dir}/ka.pid`,
      "-c",
      `${dir}/ka-c.pid`,
      "-r",
      `${dir}/ka-v.pid`,
    ]),
    { stdout: "ignore", stderr: "ignore" },
  );
  try {
    await waitFor("keepalived's services", () => complete("ka"), 120_000);
    return { rules: ruleset("ka"), table: ipvs("ka") };
  } finally {
    p.kill("SIGTERM");
    await p.exited;
    sh("ip netns del ka");
  }
}

/** While lvs-e2e's keel runs: its tables and services against keepalived's, and traffic. */
export async function nftIpvsBlock(dir: string): Promise<void> {
  try {
    const t0 = performance.now();
    const ka = await keepalived(dir);
    await waitFor("keel's services", () => complete("lb"), 60_000);
    console.log(`nftables_ipvs: keepalived's reference took ${Math.round(performance.now() - t0)} ms`);
    const rules = ruleset("lb");
    if (rules === ka.rules && ka.rules.includes("tcp_map"))
      ok(`nftables_ipvs: keel's nft ruleset is keepalived's (${ka.rules.length} bytes of JSON)`);
    else ko(`nftables_ipvs: rulesets differ:\nkeepalived ${ka.rules}\nkeel       ${rules}`);
    const table = ipvs("lb");
    if (JSON.stringify(table) === JSON.stringify(ka.table))
      ok(`nftables_ipvs: ipvsadm -Ln is keepalived's: ${JSON.stringify(table)}`);
    else
      ko(
        `nftables_ipvs: ipvsadm differs:\nkeepalived ${JSON.stringify(ka.table)}\nkeel       ${JSON.stringify(table)}`,
      );

    // G1's addresses on lb: IPVS takes what is delivered locally, marked by the `in` chain first
    for (const a of ADDRS) inNs("lb", `ip addr add ${a}/32 dev eth0`);
    const reached = new Set<string>();
    for (const a of ADDRS)
      for (let i = 0; i < 3; i++) {
        const r = spawnSync("ip", ["netns", "exec", "client", "curl", "-s", "-m", "5", `http://${a}/`], {
          encoding: "utf8",
        });
        if (r.status === 0) reached.add(`${a}→${r.stdout.trim()}`);
      }
    // IPVS folds its per-CPU counters every 2 s (its estimator): wait for the nine connections
    const fwm2000 = () =>
      Number(
        inNs("lb", "ipvsadm -Ln --stats -f 2000")
          .split("\n")
          .find((l) => l.startsWith("FWM"))
          ?.trim()
          .split(/\s+/)[2],
      );
    let conns = fwm2000();
    for (let i = 0; i < 150 && conns < 9; i++) {
      await Bun.sleep(100);
      conns = fwm2000();
    }
    for (const a of ADDRS) inNs("lb", `ip addr del ${a}/32 dev eth0`);
    // each address served at least once: with rr over two servers, three tries reach a live one
    if (ADDRS.every((a) => [...reached].some((x) => x.startsWith(`${a}→served by`))) && conns >= 9)
      ok(`nftables_ipvs: through fwmark service 2000 (${conns} connections): ${[...reached].sort().join(", ")}`);
    else ko(`nftables_ipvs: the client reached ${JSON.stringify([...reached])}; FWM 2000 counted ${conns}`);
  } catch (e) {
    ko(`nftables_ipvs: error: ${(e as Error).message}`);
  }
}

/** After lvs-e2e's keel stopped: nothing of nftables_ipvs left. */
export function nftIpvsAfterStop(): void {
  const left = inNs("lb", "nft list ruleset");
  const fwm = inNs("lb", "ipvsadm -Ln")
    .split("\n")
    .filter((l) => l.startsWith("FWM"));
  if (left === "" && fwm.length === 0) ok("nftables_ipvs: SIGTERM removed keel's tables and fwmark services");
  else ko(`nftables_ipvs: after SIGTERM: ${left} ${JSON.stringify(fwm)}`);
}
