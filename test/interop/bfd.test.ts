/**
 * keel's BFD against Debian's keepalived 2.2.7 (built with BFD), in namespaces:
 * - sessions come Up both ways (each side logs it);
 * - the peer killed → our session Down by detection timeout (diag 1), measured from the
 *   last packet heard: multiplier × negotiated interval, plus DETECT_MARGIN_MS;
 * - track_bfd: keel as VRRP master tracking a session to keepalived on a third host; the
 *   BFD peer killed → keel's instance goes FAULT and the backup takes the VIP; the peer
 *   back → keel preempts and the VIP comes back.
 * One lab for the file: h1 and h2 run VRRP, h3 is the BFD peer.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Status } from "../../src/control/protocol";
import { HOOK_TIMEOUT_MS, KEEL, Lab, type Proc, ensureKeel, eventually, instance } from "../netns/harness";
import { GLOBAL, type Kind, holders, start } from "./routers";

/**
 * What a detection may take beyond multiplier × interval, measured by keel itself from
 * the last packet it read to the Down: a timer wakeup that is late (tens of ms on a
 * 2-core machine under a CPU hog, as the VRRP takeover margin). 250 ms still tells a
 * right answer from the nearest wrong one: a session detecting with its slow (pre-Up)
 * interval would take 3 × 1 s.
 */
const DETECT_MARGIN_MS = 250;
const MULT = 3;
const INTERVAL_MS = 50;

const bfd = (name: string, neighbor: string, extra: string[] = []) =>
  [
    `bfd_instance ${name} {`,
    `  neighbor_ip ${neighbor}`,
    `  min_rx ${INTERVAL_MS}`,
    `  min_tx ${INTERVAL_MS}`,
    `  multiplier ${MULT}`,
    ...extra.map((l) => `  ${l}`),
    "}",
    "",
  ].join("\n");

/** SIGKILL (keepalived: its whole group), then wait until it is gone and the host's BFD port is free again. */
async function kill(lab: Lab, r: { kind: Kind; host: string; proc: Proc }): Promise<void> {
  if (r.kind === "keel") r.proc.kill("SIGKILL");
  else r.proc.killGroup("SIGKILL");
  await r.proc.exited;
  await eventually(() => lab.exec(r.host, ["ss", "-Huln", "sport = :3784"]).trim() === "", 10_000);
}

async function status(lab: Lab, host: string, n: number): Promise<Status> {
  const out = lab.exec(host, [KEEL, "status", "--json", "--control-socket", `${lab.tmpdir(host)}/keel-${n}.sock`]);
  return JSON.parse(out) as Status;
}

let lab: Lab;
beforeAll(() => {
  ensureKeel();
  lab = Lab.create(["h1", "h2", "h3"]);
}, HOOK_TIMEOUT_MS);
afterAll(() => lab?.destroy());

describe("keel's BFD against keepalived 2.2.7", () => {
  let ka: Proc;
  let keel: Proc;

  test("sessions come Up on both sides; keepalived killed → keel's session Down in detection time", async () => {
    keel = lab.keel("h1", GLOBAL + bfd("to_ka", lab.ip("h3")), ["--metrics", "127.0.0.1:9650"]);
    ka = lab.keepalived("h3", GLOBAL + bfd("to_keel", lab.ip("h1")));
    await keel.waitFor(/BFD_Instance\(to_ka\) Entering Up state/);
    await ka.waitFor(/\(to_keel\) Entering Up state/);
    // the peer's Poll Sequence to 50 ms is what makes the Detection Time 3 × 50 ms
    await keel.waitFor(new RegExp(`BFD_Instance\\(to_ka\\) Detection time is ${MULT * INTERVAL_MS * 1000} us`));
    const st = (await status(lab, "h1", 0)).bfd?.[0];
    expect(st?.state).toBe("Up");
    // negotiated: max(our 50 ms, its 50 ms); detection: its multiplier × 50 ms
    expect(st?.txInterval).toBe(INTERVAL_MS * 1000);
    expect(st?.detectTime).toBe(MULT * INTERVAL_MS * 1000);
    expect(st?.discarded).toEqual({});
    const text = lab.exec("h1", [KEEL, "status", "--control-socket", `${lab.tmpdir("h1")}/keel-0.sock`]);
    expect(text).toMatch(
      new RegExp(`to_ka\\s+${lab.ip("h3").replaceAll(".", "\\.")}\\s+Up\\s+Up\\s+no-diagnostic\\s+50ms\\s+150ms`),
    );
    // and in the metrics: the session Up (3) and its Detection Time
    const metrics = lab.exec("h1", [
      process.execPath,
      "-e",
      "console.log(await (await fetch('http://127.0.0.1:9650/metrics')).text())",
    ]);
    expect(metrics).toMatch(/^keel_bfd_session_state\{name="to_ka"[^}]*\} 3$/m);
    expect(metrics).toMatch(/^keel_bfd_detection_time_seconds\{name="to_ka"[^}]*\} 0\.15$/m);

    ka.killGroup("SIGKILL");
    const down = await keel.waitFor(/BFD_Instance\(to_ka\) Entering Down state/);
    expect(down.text).toContain("control-detection-time-expired");
    const after = (await status(lab, "h1", 0)).bfd?.[0];
    const took = after?.lastDetectionMs ?? Number.NaN;
    const bound = MULT * INTERVAL_MS;
    console.log(
      `keepalived killed: keel detected it ${took} ms after the last packet (bound ${bound} + ${DETECT_MARGIN_MS})`,
    );
    expect(took).toBeGreaterThanOrEqual(bound - 1);
    expect(took).toBeLessThanOrEqual(bound + DETECT_MARGIN_MS);
  }, 60_000);

  test("keel killed → keepalived's session Down with diag Control Detection Time Expired", async () => {
    await kill(lab, { kind: "keepalived", host: "h3", proc: ka });
    ka = lab.keepalived("h3", GLOBAL + bfd("to_keel", lab.ip("h1")));
    await ka.waitFor(/\(to_keel\) Entering Up state/);
    // Up, then the Poll Sequence to the fast rate: only then is its Detection Time 3 × 50 ms
    await ka.waitFor(new RegExp(`Detection time is ${MULT * INTERVAL_MS * 1000} us`));
    keel.kill("SIGKILL");
    const line = await ka.waitFor(/\(to_keel\) Entering Down state/);
    expect(line.text).toContain("Control Detection Time Expired");
    const expired = await ka.waitFor(/\(to_keel\) Expired after (\d+) ms/);
    const ms = Number(/Expired after (\d+) ms/.exec(expired.text)?.[1]);
    console.log(`keel killed: keepalived detected it after ${ms} ms`);
    expect(ms).toBeLessThanOrEqual(MULT * INTERVAL_MS + DETECT_MARGIN_MS);
    await kill(lab, { kind: "keepalived", host: "h3", proc: ka });
    await kill(lab, { kind: "keel", host: "h1", proc: keel });
  }, 60_000);
});

/**
 * track_bfd with weight 0: the master (h1) tracks its session to the BFD peer on h3; the
 * peer killed → the session Down → the master FAULT, the backup (h2) takes the VIP; the
 * peer back → Up → the master preempts and the VIP returns. Both ways: keel tracking a
 * session to keepalived, and keepalived tracking a session to keel.
 */
const VIP = "10.99.0.100";
const pairs: [Kind, Kind][] = [
  ["keel", "keepalived"],
  ["keepalived", "keel"],
];
for (const [vrrpKind, peerKind] of pairs)
  describe(`track_bfd: ${vrrpKind} tracks a session to ${peerKind}`, () => {
    test("the BFD peer killed moves the VIP to the backup; back, it returns", async () => {
      const peerConf = GLOBAL + bfd("to_master", lab.ip("h1"));
      let peer = start(lab, peerKind, "h3", peerConf);
      const masterConf =
        GLOBAL +
        bfd("to_peer", lab.ip("h3")) +
        instance({ priority: 150, state: "MASTER", extra: ["track_bfd {", "  to_peer", "}"] });
      const master = start(lab, vrrpKind, "h1", masterConf);
      await master.proc.waitFor(/\(VI_1\) Entering MASTER STATE/, 20_000);
      const backup = start(lab, "keel", "h2", GLOBAL + instance({ priority: 100 }));
      await backup.proc.waitFor(/\(VI_1\) Entering BACKUP STATE/);
      // keepalived logs "Entering MASTER STATE" before its netlink request adds the VIP
      // (vrrp_state_become_master → vrrp_handle_ipaddress): at load the backup can be
      // BACKUP before the address is there, so wait for the address, not for a line
      await eventually(() => expect(holders(lab, VIP)).toEqual(["h1"]));

      const from = master.proc.lines.length;
      await kill(lab, peer);
      await master.proc.waitFor(/\(VI_1\) Entering FAULT STATE/, 10_000, from);
      await backup.proc.waitFor(/\(VI_1\) Entering MASTER STATE/);
      await eventually(() => expect(holders(lab, VIP)).toEqual(["h2"]));

      peer = start(lab, peerKind, "h3", peerConf);
      const masters = master.proc.lines.filter((l) => /\(VI_1\) Entering MASTER STATE/.test(l.text)).length;
      await eventually(
        () => master.proc.lines.filter((l) => /\(VI_1\) Entering MASTER STATE/.test(l.text)).length > masters,
        20_000,
      );
      await eventually(() => expect(holders(lab, VIP)).toEqual(["h1"]), 10_000);
      for (const r of [peer, master, backup]) await kill(lab, r);
    }, 90_000);
  });

describe("over IPv6 (hop limit 64 sent and checked, keepalived's default for IPv6)", () => {
  let lab6: Lab;
  beforeAll(() => {
    lab6 = Lab.create(["h1", "h2"], { ipv6: true });
    lab6.exec("h1", ["ip", "-6", "addr", "add", "fd00:99::11/64", "dev", "eth0", "nodad"]);
    lab6.exec("h2", ["ip", "-6", "addr", "add", "fd00:99::12/64", "dev", "eth0", "nodad"]);
  }, HOOK_TIMEOUT_MS);
  afterAll(() => lab6?.destroy());

  test("keel and keepalived come Up; keepalived killed → keel's session Down", async () => {
    const keel = lab6.keel("h1", GLOBAL + bfd("to_ka6", "fd00:99::12"));
    const ka = lab6.keepalived("h2", GLOBAL + bfd("to_keel6", "fd00:99::11"));
    await keel.waitFor(/BFD_Instance\(to_ka6\) Entering Up state/);
    await ka.waitFor(/\(to_keel6\) Entering Up state/);
    const st = (await status(lab6, "h1", 0)).bfd?.[0];
    expect(st?.state).toBe("Up");
    expect(st?.discarded).toEqual({});
    ka.killGroup("SIGKILL");
    const down = await keel.waitFor(/BFD_Instance\(to_ka6\) Entering Down state/);
    expect(down.text).toContain("control-detection-time-expired");
    await kill(lab6, { kind: "keel", host: "h1", proc: keel });
    await kill(lab6, { kind: "keepalived", host: "h2", proc: ka });
  }, 60_000);

  test("link-local neighbours: keel with the interface (fe80::…%eth0) and keel without come Up; keepalived 2.2.7 cannot send to one", async () => {
    // DAD is off in this lab (harness), so eth0's link-local address is usable at once
    const ll = (h: string) =>
      /inet6 (fe80::[0-9a-f:]+)\//.exec(
        lab6.exec(h, ["ip", "-6", "-o", "addr", "show", "dev", "eth0", "scope", "link"]),
      )?.[1] ?? "";
    const [ll1, ll2] = [ll("h1"), ll("h2")];
    expect([ll1, ll2].every((a) => a.startsWith("fe80::"))).toBe(true);
    // keepalived 2.2.7 reads neighbor_ip with inet_pton into a sockaddr it does not clear
    // (bfd_parser.c, inet_stosockaddr): its sendto to a link-local neighbour fails, so it
    // never hears back and no session with it comes Up; keel's reach it all the same
    const ka = lab6.keepalived("h2", GLOBAL + bfd("to_keel_ll", ll1));
    const zoned = lab6.keel("h1", GLOBAL + bfd("to_ll", `${ll2}%eth0`));
    await ka.waitFor(/sendto\(\) error \(Network is unreachable\)/);
    await kill(lab6, { kind: "keepalived", host: "h2", proc: ka });
    // keel on both ends: the interface given on one, the kernel's fe80::/64 route on the other
    const plain = lab6.keel("h2", GLOBAL + bfd("to_ll", ll1));
    await zoned.waitFor(/BFD_Instance\(to_ll\) Entering Up state/);
    await plain.waitFor(/BFD_Instance\(to_ll\) Entering Up state/);
    const st = (await status(lab6, "h1", lab6.keels.indexOf(zoned))).bfd?.[0];
    expect([st?.neighbor, st?.state, st?.discarded]).toEqual([`${ll2}%eth0`, "Up", {}]);
    await kill(lab6, { kind: "keel", host: "h2", proc: plain });
    await zoned.waitFor(/BFD_Instance\(to_ll\) Entering Down state/);
    await kill(lab6, { kind: "keel", host: "h1", proc: zoned });
  }, 90_000);

  test("hoplimit 255 expected, keepalived sends 64: every packet discarded (RFC 5881 5), never Up", async () => {
    const keel = lab6.keel("h1", GLOBAL + bfd("to_ka6", "fd00:99::12", ["hoplimit 255"]));
    const ka = lab6.keepalived("h2", GLOBAL + bfd("to_keel6", "fd00:99::11"));
    await keel.waitFor(/BFD_Instance\(to_ka6\) discarding a packet from fd00:99::12: hop limit 64 < 255/);
    const st = (await status(lab6, "h1", lab6.keels.length - 1)).bfd?.[0];
    expect(st?.discarded["bad-ttl"]).toBeGreaterThan(0);
    expect(st?.rx).toBe(0);
    expect(st?.state).toBe("Down");
    await kill(lab6, { kind: "keel", host: "h1", proc: keel });
    await kill(lab6, { kind: "keepalived", host: "h2", proc: ka });
  }, 60_000);
});
