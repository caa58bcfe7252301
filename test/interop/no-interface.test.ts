/**
 * A unicast vrrp_instance with no `interface` (issue 16), keel against Debian's keepalived
 * 2.2.7. keepalived 2.2.7 itself refuses such an instance ("(VI_1) Unknown interface!":
 * chk_min_cfg tests VRRP_FLAG_UNICAST before vrrp_complete_instance sets it; fixed in
 * 2.2.8, its issue #2270), so keepalived's side of the pair keeps `interface eth0` and
 * keel's side has none: keel runs it as 2.2.8 does, on a raw socket bound to its
 * unicast_src_ip and to no device (vrrp.c open_vrrp_read_socket / open_vrrp_send_socket
 * with no ifp), its VIP on the VIP's own `dev`. The wire is the same both ways: each side
 * must take the other's adverts, as master and as backup, with no error counter moved.
 * Then what `-t` says of the interfaceless configuration, keepalived and keel side by side,
 * and keel with its unicast_src_ip not (yet) configured: FAULT until the address appears.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { HOOK_TIMEOUT_MS, KEEL, Lab, ensureKeel, eventually, instance, masterFirst } from "../netns/harness";
import { type Kind, errors, start, stats } from "./routers";

const VIP = "10.99.0.71";

/** keel's side: no interface, the VIP with its dev; keepalived's: the same on eth0. */
function conf(kind: Kind, host: "h1" | "h2", priority: number, lab: Lab, src = lab.ip(host)): string {
  const other = host === "h1" ? "h2" : "h1";
  const text = instance({
    vrid: 71,
    state: priority > 150 ? "MASTER" : "BACKUP",
    priority,
    advertInt: 0.5,
    version: 3,
    vips: [`${VIP}/24 dev eth0`],
    unicastSrc: src,
    unicastPeers: [lab.ip(other)],
  });
  const body = kind === "keel" ? text.replace("  interface eth0\n", "") : text;
  return `global_defs {\n  router_id ${host}\n}\n${body}`;
}

let lab: Lab;
beforeAll(() => {
  ensureKeel();
  lab = Lab.create(["h1", "h2"]);
}, HOOK_TIMEOUT_MS);
afterAll(() => lab?.destroy());

async function stopAll(...ps: { proc: { kill(s?: NodeJS.Signals): void; exited: Promise<number> } }[]) {
  for (const p of ps) {
    p.proc.kill("SIGTERM");
    await p.proc.exited;
  }
}

describe("unicast instance without an interface", () => {
  test("keel without interface as master, keepalived backup; then keepalived takes over on keel's stop", async () => {
    const { master, backup } = await masterFirst(
      () => start(lab, "keel", "h1", conf("keel", "h1", 200, lab)),
      () => start(lab, "keepalived", "h2", conf("keepalived", "h2", 100, lab)),
      30_000,
    );
    // one socket, bound to the address and no device (keepalived's sockpool line: ifindex 0,
    // its "%sicast" with ", un"; keel's own " bound to" after it)
    expect(
      master.proc.lines.some((l) =>
        /VRRP sockpool: \[ifindex\(\s*0\), family\(IPv4\), proto\(112\), , unicast, address\(10\.99\.0\.11\)\] bound to 10\.99\.0\.11$/.test(
          l.text,
        ),
      ),
    ).toBe(true);
    await eventually(() => lab.hasAddr("h1", VIP), 10_000);
    // keepalived takes keel's adverts: received, no errors, no MASTER of its own
    const before = (await stats(lab, backup))["Advertisements.Received"] ?? 0;
    await eventually(async () => ((await stats(lab, backup))["Advertisements.Received"] ?? 0) > before + 2, 10_000);
    const s = await stats(lab, backup);
    expect(errors(s)).toEqual(Object.fromEntries(Object.keys(errors(s)).map((k) => [k, 0])));
    expect(backup.proc.lines.some((l) => /Entering MASTER STATE/.test(l.text))).toBe(false);
    expect(lab.hasAddr("h2", VIP)).toBe(false);
    // keel's stop: its priority-0 advert leaves through the same socket, keepalived takes over
    const at = backup.proc.lines.length;
    master.proc.kill("SIGTERM");
    await backup.proc.waitFor(/\(VI_1\) Entering MASTER STATE/, 15_000, at);
    await master.proc.exited;
    await eventually(() => lab.hasAddr("h2", VIP) && !lab.hasAddr("h1", VIP), 10_000);
    await stopAll(backup);
  }, 120_000);

  test("keepalived master, keel without interface backup; keel takes over when keepalived crashes", async () => {
    const { master, backup } = await masterFirst(
      () => start(lab, "keepalived", "h2", conf("keepalived", "h2", 200, lab)),
      () => start(lab, "keel", "h1", conf("keel", "h1", 100, lab)),
      30_000,
    );
    // keel hears keepalived's adverts on its address-bound socket: no takeover, counted received
    // its signal handlers are in place from this line on (the stats are read on SIGUSR2)
    await backup.proc.waitFor(/Startup complete/, 15_000);
    const before = (await stats(lab, backup))["Advertisements.Received"] ?? 0;
    await eventually(async () => ((await stats(lab, backup))["Advertisements.Received"] ?? 0) > before + 2, 10_000);
    const s = await stats(lab, backup);
    expect(errors(s)).toEqual(Object.fromEntries(Object.keys(errors(s)).map((k) => [k, 0])));
    expect(backup.proc.lines.some((l) => /Entering MASTER STATE/.test(l.text))).toBe(false);
    expect(lab.hasAddr("h1", VIP)).toBe(false);
    // a crash sends nothing: keel's Master_Down timer, then the VIP on its dev
    const at = backup.proc.lines.length;
    master.proc.killGroup("SIGKILL");
    await backup.proc.waitFor(/\(VI_1\) Entering MASTER STATE/, 15_000, at);
    await eventually(() => lab.hasAddr("h1", VIP), 10_000);
    await master.proc.exited;
    lab.exec("h2", ["ip", "addr", "del", `${VIP}/24`, "dev", "eth0"], { allowFail: true });
    await stopAll(backup);
  }, 120_000);

  test("-t: keepalived 2.2.7 refuses the instance, keel warns and accepts it", () => {
    const path = lab.file("no-if-t.conf", conf("keel", "h1", 100, lab));
    const ka = Bun.spawnSync(["ip", "netns", "exec", lab.ns("h1"), "keepalived", "-t", "-l", "-D", "-f", path], {
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(ka.exitCode).not.toBe(0);
    expect(`${ka.stdout}${ka.stderr}`).toContain("(VI_1) Unknown interface!");
    const k = Bun.spawnSync(["ip", "netns", "exec", lab.ns("h1"), KEEL, "-t", "-f", path], {
      stdout: "pipe",
      stderr: "pipe",
    });
    const said = `${k.stdout}${k.stderr}`;
    expect(k.exitCode).toBe(0);
    expect(said).toContain("warning[no-interface-keepalived]: (VI_1) keepalived 2.2.7 refuses an instance");
    expect(said).not.toContain("error[");
  });

  test("vrf lo: a loopback is no VRF, keel says so and runs the instance outside any VRF", async () => {
    const text = conf("keel", "h1", 100, lab).replace("  virtual_router_id", "  vrf lo\n  virtual_router_id");
    const keel = start(lab, "keel", "h1", text);
    await keel.proc.waitFor(/\(VI_1\) cannot use a loopback interface \(lo\) for VRF - ignoring/, 15_000);
    const pool = await keel.proc.waitFor(/VRRP sockpool: /, 15_000);
    expect(pool.text).toMatch(/unicast, address\(10\.99\.0\.11\)\] bound to 10\.99\.0\.11$/);
    await keel.proc.waitFor(/\(VI_1\) Entering BACKUP STATE/, 15_000);
    await stopAll(keel);
  }, 60_000);

  test("unicast_src_ip not configured: FAULT (src address not configured), then BACKUP once it is added", async () => {
    const src = "10.99.0.171";
    const keel = start(lab, "keel", "h1", conf("keel", "h1", 100, lab, src));
    await keel.proc.waitFor(/\(VI_1\): entering FAULT state \(src address not configured\)/, 15_000);
    // no state line after it (keepalived's open_sockpool_socket: down_instance, then no "(init)" line)
    await keel.proc.waitFor(/Startup complete/, 15_000);
    expect(keel.proc.text()).not.toMatch(/\(VI_1\) (Entering FAULT STATE|entering FAULT state$)/m);
    const at = keel.proc.lines.length;
    lab.exec("h1", ["ip", "addr", "add", `${src}/24`, "dev", "eth0"]);
    await keel.proc.waitFor(/\(VI_1\) Entering BACKUP STATE/, 15_000, at);
    await stopAll(keel);
    lab.exec("h1", ["ip", "addr", "del", `${src}/24`, "dev", "eth0"]);
  }, 60_000);
});

describe("IPv6 unicast instance without an interface", () => {
  let lab6: Lab;
  const addr = (h: "h1" | "h2") => (h === "h1" ? "fd99::11" : "fd99::12");
  beforeAll(() => {
    lab6 = Lab.create(["h1", "h2"], { ipv6: true });
    for (const h of ["h1", "h2"] as const) lab6.exec(h, ["ip", "addr", "add", `${addr(h)}/64`, "dev", "eth0", "nodad"]);
  }, HOOK_TIMEOUT_MS);
  afterAll(() => lab6?.destroy());

  const conf6 = (kind: Kind, host: "h1" | "h2", priority: number) => {
    const text = instance({
      vrid: 72,
      state: priority > 150 ? "MASTER" : "BACKUP",
      priority,
      advertInt: 0.5,
      vips: ["fd99::72/64 dev eth0"],
      unicastSrc: addr(host),
      unicastPeers: [addr(host === "h1" ? "h2" : "h1")],
    });
    const body = kind === "keel" ? text.replace("  interface eth0\n", "") : text;
    return `global_defs {\n  router_id ${host}\n}\n${body}`;
  };

  test("keel without interface as master over IPv6, keepalived backup takes its adverts; keel backup after", async () => {
    const { master, backup } = await masterFirst(
      () => start(lab6, "keel", "h1", conf6("keel", "h1", 200)),
      () => start(lab6, "keepalived", "h2", conf6("keepalived", "h2", 100)),
      30_000,
    );
    expect(
      master.proc.lines.some((l) =>
        /family\(IPv6\), proto\(112\), , unicast, address\(fd99::11\)\] bound to fd99::11$/.test(l.text),
      ),
    ).toBe(true);
    const before = (await stats(lab6, backup))["Advertisements.Received"] ?? 0;
    await eventually(async () => ((await stats(lab6, backup))["Advertisements.Received"] ?? 0) > before + 2, 10_000);
    const s = await stats(lab6, backup);
    expect(errors(s)).toEqual(Object.fromEntries(Object.keys(errors(s)).map((k) => [k, 0])));
    expect(backup.proc.lines.some((l) => /Entering MASTER STATE/.test(l.text))).toBe(false);
    await eventually(() => lab6.hasAddr("h1", "fd99::72"), 10_000);
    // keepalived takes over on keel's stop; keel back at the lower priority hears it and stays BACKUP
    let at = backup.proc.lines.length;
    master.proc.kill("SIGTERM");
    await backup.proc.waitFor(/\(VI_1\) Entering MASTER STATE/, 15_000, at);
    await master.proc.exited;
    const keel2 = start(lab6, "keel", "h1", conf6("keel", "h1", 50));
    await keel2.proc.waitFor(/Startup complete/, 15_000);
    const b2 = (await stats(lab6, keel2))["Advertisements.Received"] ?? 0;
    await eventually(async () => ((await stats(lab6, keel2))["Advertisements.Received"] ?? 0) > b2 + 2, 10_000);
    const s2 = await stats(lab6, keel2);
    expect(errors(s2)).toEqual(Object.fromEntries(Object.keys(errors(s2)).map((k) => [k, 0])));
    expect(keel2.proc.lines.some((l) => /Entering MASTER STATE/.test(l.text))).toBe(false);
    // and takes over once keepalived stops (its priority-0 advert)
    at = keel2.proc.lines.length;
    await stopAll(backup);
    await keel2.proc.waitFor(/\(VI_1\) Entering MASTER STATE/, 15_000, at);
    await stopAll(keel2);
  }, 120_000);
});
