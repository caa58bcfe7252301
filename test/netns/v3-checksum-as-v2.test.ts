/**
 * v3_checksum_as_v2 (keepalived 2.4) on a real segment: two keel hosts, VRRPv3 over IPv4.
 * What keepalived 2.4.3 did in the same three pairings, recorded live (01:42 UTC
 * 2026-12-06, /work/k243 built from the v2.4.3 tag, two namespaces on a veth pair; the
 * packets are test/unit/vrrp/v3-checksum-as-v2.test.ts's fixtures):
 * - both with the flag: an ordinary election, the lower priority stays BACKUP;
 * - the flag on the higher priority only: the other logs "(VI_1) Invalid VRRPv3 checksum
 *   from <flagged>" and becomes MASTER too; the flagged one takes its adverts and stays
 *   MASTER, "Received advert from <other> with lower priority 100, ours 200, forcing new
 *   election" (a dual master that does not heal);
 * - the flag on the lower priority only: the flagged one takes the other's adverts and
 *   stays BACKUP (the other never hears it).
 * keel without the flag against Debian's keepalived 2.2.7 is test/interop's business and
 * did not change (its adverts carry RFC 5798's pseudo-header checksum as before).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Status } from "../../src/control/protocol";
import { HOOK_TIMEOUT_MS, KEEL, Lab, type Proc, ensureKeel, eventually, instance, masterFirst, sh } from "./harness";

let lab: Lab;
beforeAll(() => {
  ensureKeel();
  lab = Lab.create(["h1", "h2"]);
}, HOOK_TIMEOUT_MS);
afterAll(() => lab?.destroy());

const conf = (flag: boolean, priority: number) =>
  `global_defs {\n  router_id test\n  vrrp_version 3\n${flag ? "  v3_checksum_as_v2\n" : ""}}\n` +
  instance({ priority });

interface Host {
  proc: Proc;
  sock: string;
}

function start(host: string, flag: boolean, priority: number): Host {
  const sock = `${lab.dir}/${host}-${Date.now()}.sock`;
  return { proc: lab.keel(host, conf(flag, priority), ["--control-socket", sock]), sock };
}

function status(h: Host): NonNullable<Status["instances"][number]> {
  const st = JSON.parse(sh([KEEL, "status", "--json", "--control-socket", h.sock])) as Status;
  const i = st.instances[0];
  if (!i) throw new Error(`${h.proc.host}: no instance in status`);
  return i;
}

async function stop(...hosts: Host[]): Promise<void> {
  for (const h of hosts) h.proc.kill("SIGTERM");
  await Promise.all(hosts.map((h) => h.proc.exited));
}

const entering = (h: Host, state: string) =>
  h.proc.lines.filter((l) => l.text.includes(`(VI_1) Entering ${state} STATE`));

describe("v3_checksum_as_v2 between two keel hosts", () => {
  test(
    "both with it: an election as ever, no checksum error",
    async () => {
      const { master: h1, backup: h2 } = await masterFirst(
        () => start("h1", true, 150),
        () => start("h2", true, 100),
      );
      // the backup has taken a Master_Down_Interval's worth of h1's adverts (3.6 s at 100)
      await eventually(() => status(h2).advertsReceived >= 5, 15_000, 200);
      const s2 = status(h2);
      expect(s2).toMatchObject({ state: "BACKUP", master: lab.ip("h1"), errors: 0 });
      expect(s2.stats?.chk_err).toBe(0);
      expect(entering(h2, "MASTER")).toEqual([]);
      expect(status(h1).state).toBe("MASTER");
      await stop(h1, h2);
    },
    HOOK_TIMEOUT_MS,
  );

  test(
    "only the higher priority with it: the other drops its adverts and is MASTER too, as keepalived 2.4.3",
    async () => {
      const { master: h1, backup: h2 } = await masterFirst(
        () => start("h1", true, 150),
        () => start("h2", false, 100),
      );
      await h2.proc.waitFor(new RegExp(`\\(VI_1\\) Invalid VRRPv3 checksum.*${lab.ip("h1")}`), 10_000);
      await h2.proc.waitFor(/\(VI_1\) Entering MASTER STATE/, 10_000);
      // h1 takes h2's adverts (no checksum checked) and answers them as a master does
      await h1.proc.waitFor(
        new RegExp(
          `\\(VI_1\\) Received advert from ${lab.ip("h2")} with lower priority 100, ours 150, forcing new election`,
        ),
        10_000,
      );
      const [s1, s2] = [status(h1), status(h2)];
      expect(s1).toMatchObject({ state: "MASTER", errors: 0 });
      expect(s2.state).toBe("MASTER");
      expect(s2.stats?.chk_err).toBeGreaterThan(0);
      expect(entering(h1, "BACKUP").length).toBe(1); // its start only
      await stop(h1, h2);
    },
    HOOK_TIMEOUT_MS,
  );

  test(
    "only the lower priority with it: it takes the other's adverts and stays BACKUP, as keepalived 2.4.3",
    async () => {
      const { master: h1, backup: h2 } = await masterFirst(
        () => start("h1", false, 150),
        () => start("h2", true, 100),
      );
      await eventually(() => status(h2).advertsReceived >= 5, 15_000, 200);
      expect(status(h2)).toMatchObject({ state: "BACKUP", master: lab.ip("h1"), errors: 0 });
      expect(entering(h2, "MASTER")).toEqual([]);
      await stop(h1, h2);
    },
    HOOK_TIMEOUT_MS,
  );
});
