// VRRP-MIB (RFC 2787) and VRRPv3-MIB (RFC 6527) end to end: the same keepalived.conf run by
// keepalived 2.2.7 -x and then by keel -x (`-A unix:SOCKET`, as keepalived takes it) in
// host h1 under Debian's snmpd as AgentX master, h2 the same keepalived peer for both, and
// `snmpwalk` of each MIB through snmpd: the same OIDs, types and values, time-dependent
// values named and normalised (test/interop/snmp-reference-walk.ts). keel's half needs
// the AgentX agent (src/snmp/agent*).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { HOOK_TIMEOUT_MS, Lab, eventually } from "../netns/harness";
import { KA_REGISTERED, REFERENCES, SUBTREES, globalDefs, startSnmpd, walk } from "./snmp-reference";
import { type WalkLine, firstRowPerColumn, normalise, parseWalk } from "./snmp-reference-walk";

const ref = REFERENCES.find((r) => r.name === "vrrp-mixed")!;

describe("VRRP MIBs: keel -x walks as keepalived -x (vrrp-mixed)", () => {
  let lab: Lab;
  let agentx: string;
  const keepalived: Record<string, WalkLine[]> = {};

  beforeAll(async () => {
    lab = Lab.create(["h1", "h2"], { ipv6: ref.ipv6 });
    const peer = lab.keepalived("h2", `global_defs {\n  router_id peer\n}\n${ref.peer}`);
    for (const re of ref.peerReady ?? []) await peer.waitFor(re, 30_000);
    ({ agentx } = await startSnmpd(lab, "h1"));
    const ka = lab.keepalived("h1", globalDefs(agentx) + ref.conf, ["-x"]);
    await ka.waitFor(KA_REGISTERED, 30_000);
    for (const re of ref.ready) await ka.waitFor(re, 30_000);
    keepalived.rfc2787 = parseWalk(walk(lab, "h1", SUBTREES.rfc2787));
    keepalived.rfc6527 = parseWalk(walk(lab, "h1", SUBTREES.rfc6527));
    ka.kill("SIGTERM");
    await ka.exited;
  }, HOOK_TIMEOUT_MS * 2);
  afterAll(() => lab?.destroy());

  test("keepalived serves both MIBs", () => {
    expect(keepalived.rfc2787!.length).toBeGreaterThan(0);
    expect(keepalived.rfc6527!.length).toBeGreaterThan(0);
  });

  test("keel -x serves the same walks", async () => {
    const keel = lab.keel("h1", globalDefs(agentx) + ref.conf, ["-x", "-A", `unix:${agentx}`]);
    // a keel that refuses -x exits at once: say so instead of waiting for a line
    const exited = keel.exited.then((code) => {
      throw new Error(`keel -x exited with ${code}:\n${keel.text()}`);
    });
    exited.catch(() => undefined); // the race reads it; a later exit (the lab's end) is no failure
    for (const re of ref.ready) await Promise.race([keel.waitFor(re, 30_000), exited]);
    // registered once the master agent answers for the subtree (nothing logs it in snmpd)
    const ours2787 = await eventually(() => {
      const w = parseWalk(walk(lab, "h1", SUBTREES.rfc2787));
      if (w.length === 0) throw new Error(`keel's RFC 2787 subtree not served yet; keel said:\n${keel.text()}`);
      return w;
    }, 30_000);
    const ours6527 = parseWalk(walk(lab, "h1", SUBTREES.rfc6527));
    // keepalived's GetNext skips all but the first row of these tables (firstRowPerColumn)
    expect(normalise(firstRowPerColumn(ours2787))).toEqual(normalise(keepalived.rfc2787!));
    expect(normalise(ours6527)).toEqual(normalise(keepalived.rfc6527!));
  }, 120_000);
});
