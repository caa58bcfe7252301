/**
 * old_unicast_checksum against Debian's keepalived 2.2.7 (built with OLD_CHKSUM_COMPAT):
 * VRRPv3 unicast between h1 (priority 200) and h2 (priority 100), both with the keyword.
 * First keepalived is the master on h1 and keel the backup on h2, then the same two
 * configurations swap daemons (keel on h1, keepalived on h2). Each backup must take the
 * master's adverts (received, no error counter moved, no MASTER of its own), and keel's
 * adverts on h1 must carry the checksum keepalived's carried from the same address with
 * the same contents: the old one, over the multicast group (tshark, and keel's codec as
 * the independent sum).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { HOOK_TIMEOUT_MS, Lab, ensureKeel, instance, masterFirst } from "../netns/harness";
import { encodeAdvert } from "../../src/vrrp/packet";
import { type Kind, errors, start, stats } from "./routers";

const conf = (host: "h1" | "h2", lab: Lab) => {
  const other = host === "h1" ? "h2" : "h1";
  return `global_defs {\n  router_id ${host}\n}\n${instance({
    vrid: 61,
    state: host === "h1" ? "MASTER" : "BACKUP",
    priority: host === "h1" ? 200 : 100,
    version: 3,
    advertInt: 0.5,
    vips: ["10.99.0.61/24"],
    unicastSrc: lab.ip(host),
    unicastPeers: [lab.ip(other)],
    extra: ["old_unicast_checksum"],
  })}`;
};

let lab: Lab;
beforeAll(() => {
  ensureKeel();
  lab = Lab.create(["h1", "h2"]);
}, HOOK_TIMEOUT_MS);
afterAll(() => lab?.destroy());

const CHECKSUM = /^0x[0-9a-f]{4}$/;

/** Master on h1, backup on h2; the checksums of the master's adverts as tshark reads them. */
async function run(masterKind: Kind, backupKind: Kind): Promise<string[]> {
  // one live tshark: the master's adverts as they pass, one checksum per line
  const live = lab.spawn("h1", [
    ...["tshark", "-l", "-n", "-i", "eth0", "-f", "ip proto 112"],
    ...["-Y", `ip.src == ${lab.ip("h1")} && vrrp.prio == 200`, "-T", "fields", "-e", "vrrp.checksum"],
  ]);
  await live.waitFor(/Capturing on/, 30_000);
  const { master, backup } = await masterFirst(
    () => start(lab, masterKind, "h1", conf("h1", lab)),
    () => start(lab, backupKind, "h2", conf("h2", lab)),
    30_000,
  );
  // three more of the master's adverts after the backup settled, then its counters (the
  // last may still be on its way to the backup: at least the first was taken)
  for (let i = 0; i < 3; i++) await live.waitFor(CHECKSUM, 20_000, live.lines.length);
  const s = await stats(lab, backup);
  expect(s["Advertisements.Received"]).toBeGreaterThanOrEqual(1);
  expect(errors(s)).toEqual(Object.fromEntries(Object.keys(errors(s)).map((k) => [k, 0])));
  expect(backup.proc.lines.some((l) => /Entering MASTER STATE|Invalid VRRPv3 checksum/.test(l.text))).toBe(false);
  for (const r of [backup, master, { proc: live }]) {
    r.proc.kill("SIGTERM");
    await r.proc.exited;
  }
  return [...new Set(live.lines.filter((l) => CHECKSUM.test(l.text)).map((l) => l.text))];
}

describe("old_unicast_checksum (VRRPv3 unicast)", () => {
  let fromKeepalived: string[] = [];

  test("keepalived master, keel backup: keel takes the old checksum without errors", async () => {
    fromKeepalived = await run("keepalived", "keel");
    expect(fromKeepalived.length).toBe(1);
    // keepalived's sum is the old one: over 224.0.0.18, not over the peer's address
    const sum = (dst: string) => {
      const msg = encodeAdvert(
        {
          version: 3,
          type: 1,
          vrid: 61,
          priority: 200,
          family: 4,
          advertIntCs: 50,
          authType: 0,
          addresses: ["10.99.0.61"],
        },
        { src: lab.ip("h1"), dst },
      );
      return `0x${((msg[6]! << 8) | msg[7]!).toString(16).padStart(4, "0")}`;
    };
    expect(fromKeepalived).toEqual([sum("224.0.0.18")]);
    expect(sum(lab.ip("h2"))).not.toBe(sum("224.0.0.18"));
  }, 120_000);

  test("keel master, keepalived backup: keepalived takes keel's adverts, whose checksum is keepalived's", async () => {
    expect(await run("keel", "keepalived")).toEqual(fromKeepalived);
  }, 120_000);
});
