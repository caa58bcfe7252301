/**
 * keel's D-Bus service against keepalived 2.2.7's (Debian's keepalived is built with
 * --enable-dbus): a private system-like bus (dbus-daemon with keepalived's own policy
 * file, on a unix socket in the lab's directory, given to both daemons in
 * DBUS_SYSTEM_BUS_ADDRESS), the same configuration run by keepalived, then by keel, and
 * the same questions asked of each with busctl / dbus-send, signals read by dbus-monitor:
 * - the object tree, and every object's introspection XML (GLib's version comment aside)
 * - properties Name and State (Get and GetAll), and GLib's error answers to bad calls
 * - PrintData / PrintStats / PrintStatsClear (the daemon's log line), SendGarp (a GARP
 *   for the VIP on the wire, tshark)
 * - VrrpStatusChange at a link flap (FAULT, BACKUP, MASTER), VrrpReloaded after
 *   ReloadConfig with an instance moved to another VRID (its object moves), and the
 *   stop's VrrpStatusChange(Stop) and VrrpStopped
 * - keel only: the bus restarted under it; keel logs the loss, owns the name again and answers
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { HOOK_TIMEOUT_MS, Lab, type Proc, ensureKeel, eventually } from "../netns/harness";

const POLICY = "/etc/dbus-1/system.d/org.keepalived.Vrrp1.conf";
const NAME = "org.keepalived.Vrrp1";
const VRRP = "/org/keepalived/Vrrp1/Vrrp";
const I4 = "/org/keepalived/Vrrp1/Instance/eth0/51/IPv4";
const I6 = "/org/keepalived/Vrrp1/Instance/eth0/52/IPv6";
const I6B = "/org/keepalived/Vrrp1/Instance/eth0/53/IPv6";

const CONF = (vrid6: number) => `
global_defs {
  enable_dbus
  vrrp_version 3
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  advert_int 0.2
  garp_master_delay 0
  virtual_ipaddress {
    10.99.0.100/24
  }
}
vrrp_instance VI_6 {
  state BACKUP
  interface eth0
  virtual_router_id ${vrid6}
  priority 100
  advert_int 0.2
  garp_master_delay 0
  virtual_ipaddress {
    fd00:99::100/64
  }
}
`;

/** A bus like the system bus: EXTERNAL only, default deny for owning names, keepalived's policy included. */
const BUS_CONF = (socket: string) => `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Monitoring"/>
  </policy>
  <include>${POLICY}</include>
</busconfig>
`;

let lab: Lab;
let address: string;
let busConf: string;
let bus: Proc;
let monitor: Proc;
const savedAddress = process.env.DBUS_SYSTEM_BUS_ADDRESS;

function run(cmd: string[]): string {
  const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  return (r.stdout.toString() + r.stderr.toString()).trim();
}

const busctl = (...a: string[]) => run(["busctl", `--address=${address}`, ...a]);
/** dbus-send's answer without its "method return ... serial=N" line (serials and names differ). */
const send = (path: string, method: string, ...args: string[]) =>
  run(["dbus-send", `--bus=${address}`, "--print-reply", `--dest=${NAME}`, path, method, ...args])
    .split("\n")
    .filter((l) => !l.startsWith("method return "))
    .join("\n");
const state = (path: string) => busctl("get-property", NAME, path, `${NAME}.Instance`, "State");

async function startBus(): Promise<void> {
  bus = lab.spawn("h1", ["dbus-daemon", `--config-file=${busConf}`, "--nofork", "--print-address"]);
  await bus.waitFor(/^unix:path=/, 10_000);
  monitor = lab.spawn("h1", [
    "dbus-monitor",
    "--address",
    address,
    "type='signal',interface='org.keepalived.Vrrp1.Instance'",
    "type='signal',interface='org.keepalived.Vrrp1.Vrrp'",
  ]);
  // the bus tells a new monitor it lost its own name: it is listening from then on
  await monitor.waitFor(/member=NameLost/, 10_000);
}

/** The keepalived signals the monitor saw from line `from` on: "PATH MEMBER [ARG]". */
function signals(from: number): string[] {
  const out: string[] = [];
  const lines = monitor.lines.slice(from).map((l) => l.text);
  lines.forEach((l, k) => {
    const m = /^signal .* path=([^;]+); interface=org\.keepalived\.[^;]+; member=(\w+)/.exec(l);
    if (!m) return;
    const arg = /^\s+uint32 (\d+)/.exec(lines[k + 1] ?? "");
    out.push([m[1], m[2], arg?.[1]].filter(Boolean).join(" "));
  });
  return out;
}

interface Answers {
  tree: string;
  introspect: Record<string, string>;
  props: string[];
  errors: string[];
  methods: string[];
  garps: number;
  flap: string[];
  reload: string[];
  treeAfterReload: string;
  stop: string[];
}
const got: Record<string, Answers> = {};

const BAD_CALLS: [string, string, ...string[]][] = [
  [I4, "org.freedesktop.DBus.Properties.Get", `string:${NAME}.Instance`, "string:Foo"],
  [I4, "org.freedesktop.DBus.Properties.GetAll", "string:"],
  [I4, "org.freedesktop.DBus.Properties.Set", `string:${NAME}.Instance`, "string:Name", "variant:string:x"],
  [I4, `${NAME}.Instance.Bogus`],
  [I4, `${NAME}.Instance.SendGarp`, "string:x"],
  [VRRP, `${NAME}.Instance.SendGarp`],
  [VRRP, "org.foo.Bar"],
  ["/nope", `${NAME}.Vrrp.PrintStats`],
  ["/org", "org.freedesktop.DBus.Properties.Get", "string:a", "string:b"],
  [I4, "org.freedesktop.DBus.Properties.Get", `string:${NAME}.Vrrp`, "string:Name"],
  [I4, "org.freedesktop.DBus.Properties.Get", `string:${NAME}.Instance`],
  [I4, "org.freedesktop.DBus.Peer.Ping"],
];

/** One daemon: settle, ask, flap, reload, stop; `extra` runs before the stop. */
async function exercise(
  who: "keepalived" | "keel",
  start: () => Proc,
  confName: string,
  extra?: (p: Proc) => Promise<void>,
): Promise<void> {
  const p = start();
  await eventually(() => state(I4).includes('"Master"') && state(I6).includes('"Master"'), 30_000, 100).catch((e) => {
    throw new Error(`${who} did not settle (State: ${state(I4)} / ${state(I6)}): ${e}\n${p.text()}`);
  });
  const a = { introspect: {} as Record<string, string> } as Answers;
  a.tree = busctl("tree", "--list", NAME);
  for (const path of ["/", ...a.tree.split("\n")])
    a.introspect[path] = busctl("call", NAME, path, "org.freedesktop.DBus.Introspectable", "Introspect").replace(
      /<!-- (GDBus [^ ]+|keel) -->/,
      "<!-- VERSION -->",
    );
  a.props = [I4, I6].flatMap((path) => [
    busctl("get-property", NAME, path, `${NAME}.Instance`, "Name", "State"),
    busctl("call", NAME, path, "org.freedesktop.DBus.Properties", "GetAll", "s", `${NAME}.Instance`),
  ]);
  a.errors = BAD_CALLS.map(([path, method, ...args]) => send(path, method, ...args));

  let mark = p.lines.length;
  a.methods = ["PrintData", "PrintStats", "PrintStatsClear"].map((m) => send(VRRP, `${NAME}.Vrrp.${m}`));
  for (const line of [
    /Printing VRRP data on DBus request/,
    /Printing VRRP stats on DBus request/,
    /Printing and clearing VRRP stats on DBus request/,
  ])
    await p.waitFor(line, 10_000, mark);

  const cap = await lab.capture("h1", "arp");
  mark = p.lines.length;
  a.methods.push(send(I4, `${NAME}.Instance.SendGarp`));
  await p.waitFor(/Sending garps on VI_1 on DBus request/, 10_000, mark);
  const garps = () =>
    lab.tshark(cap.path, "arp.isgratuitous == 1 && arp.src.proto_ipv4 == 10.99.0.100", ["frame.number"]).length;
  await eventually(() => garps() > 0, 10_000, 100).catch(() => undefined);
  // a round is sent in one go (vrrp_garp_interval 0): the first frame on the wire means
  // all of them are; counted once the capture is flushed
  await cap.stop();
  a.garps = garps();

  let from = monitor.lines.length;
  lab.linkSet("h1", false);
  await eventually(() => state(I4).includes('"Fault"') && state(I6).includes('"Fault"'), 15_000, 100);
  lab.linkSet("h1", true);
  await eventually(() => state(I4).includes('"Master"') && state(I6).includes('"Master"'), 30_000, 100);
  await eventually(() => signals(from).filter((s) => s.endsWith(" 2")).length >= 2, 10_000);
  a.flap = signals(from).sort();

  from = monitor.lines.length;
  lab.file(confName, CONF(53));
  a.methods.push(send(VRRP, `${NAME}.Vrrp.ReloadConfig`));
  await eventually(() => signals(from).includes(`${VRRP} VrrpReloaded`), 15_000);
  await eventually(() => signals(from).includes(`${I6B} VrrpStatusChange 2`), 30_000, 100).catch((e) => {
    throw new Error(`${who}: ${e}\n${signals(from).join("\n")}\n${p.text().split("\n").slice(-40).join("\n")}`);
  });
  a.reload = signals(from);
  a.treeAfterReload = busctl("tree", "--list", NAME);
  lab.file(confName, CONF(52));

  await extra?.(p);

  from = monitor.lines.length;
  if (who === "keepalived") p.killGroup("SIGTERM");
  else p.kill("SIGTERM");
  await p.exited;
  await eventually(() => signals(from).includes(`${VRRP} VrrpStopped`), 10_000);
  a.stop = signals(from);
  got[who] = a;
}

beforeAll(async () => {
  ensureKeel();
  lab = Lab.create(["h1"], { ipv6: true });
  const socket = join(lab.tmpdir("h1"), "bus.sock");
  address = `unix:path=${socket}`;
  busConf = lab.file("bus.conf", BUS_CONF(socket));
  // both daemons read it (keepalived through GLib); restored in afterAll
  process.env.DBUS_SYSTEM_BUS_ADDRESS = address;
  await startBus();
  await exercise("keepalived", () => lab.keepalived("h1", CONF(52)), "h1-ka.conf");
  await exercise(
    "keel",
    () => lab.keel("h1", CONF(52)),
    "h1.conf",
    async (keel) => {
      // the bus goes away and comes back: keel says so, owns the name again and answers
      const mark = keel.lines.length;
      bus.kill("SIGTERM");
      await bus.exited;
      await keel.waitFor(/DBus: lost the bus/, 10_000, mark);
      await startBus();
      await keel.waitFor(/Acquired the name org\.keepalived\.Vrrp1 on the system bus/, 40_000, mark);
      // keepalived's on_bus_acquired: VrrpStarted, then each instance's state
      await eventually(() => signals(0).length >= 3, 10_000);
      got.again = {
        props: [busctl("get-property", NAME, I4, `${NAME}.Instance`, "Name", "State")],
        reload: signals(0),
      } as Answers;
    },
  );
}, 6 * HOOK_TIMEOUT_MS);

afterAll(() => {
  if (savedAddress === undefined) delete process.env.DBUS_SYSTEM_BUS_ADDRESS;
  else process.env.DBUS_SYSTEM_BUS_ADDRESS = savedAddress;
  lab?.destroy();
});

describe("org.keepalived.Vrrp1: keel against keepalived 2.2.7", () => {
  const ka = () => got.keepalived as Answers;
  const keel = () => got.keel as Answers;

  test("the same object tree, and the same introspection XML for every object", () => {
    expect(keel().tree).toBe(ka().tree);
    expect(ka().tree.split("\n")).toContain(I6);
    expect(keel().introspect).toEqual(ka().introspect);
    expect(keel().introspect[I4]).toContain('<property type=\\"(us)\\" name=\\"State\\" access=\\"read\\">');
  });

  test("the same Name and State (Get and GetAll)", () => {
    expect(keel().props).toEqual(ka().props);
    expect(ka().props[0]).toBe('(s) "VI_1"\n(us) 2 "Master"');
  });

  test("the same error answers to bad calls", () => {
    expect(keel().errors).toEqual(ka().errors);
    expect(ka().errors[0]).toContain("org.freedesktop.DBus.Error.InvalidArgs");
  });

  test("the Vrrp methods and SendGarp answer alike; SendGarp puts one GARP for the VIP on the wire", () => {
    expect(keel().methods).toEqual(ka().methods);
    // vrrp_send_link_update(vrrp, 1): one round, not the garp_master_repeat burst
    expect(ka().garps).toBe(1);
    expect(keel().garps).toBe(1);
  });

  test("a link flap: the same VrrpStatusChange signals (Fault, Backup, Master)", () => {
    expect(keel().flap).toEqual(ka().flap);
    expect(ka().flap).toContain(`${I4} VrrpStatusChange 3`);
  });

  test("ReloadConfig: VrrpReloaded, and the moved instance's object moves", () => {
    expect(keel().treeAfterReload).toBe(ka().treeAfterReload);
    expect(ka().treeAfterReload.split("\n")).toContain(I6B);
    expect(ka().treeAfterReload.split("\n")).not.toContain(I6);
    for (const a of [ka(), keel()]) {
      expect(a.reload).toContain(`${VRRP} VrrpReloaded`);
      expect(a.reload.filter((s) => s.startsWith(I6B)).at(-1)).toBe(`${I6B} VrrpStatusChange 2`);
    }
  });

  test("the stop: VrrpStatusChange(Stop) for each instance, then VrrpStopped", () => {
    expect(keel().stop).toEqual(ka().stop);
    expect(ka().stop.at(-1)).toBe(`${VRRP} VrrpStopped`);
  });

  test("keel owns the name again after the bus restarts, and answers", () => {
    expect(got.again?.props).toEqual([ka().props[0] as string]);
    expect(got.again?.reload).toEqual([`${VRRP} VrrpStarted`, `${I4} VrrpStatusChange 2`, `${I6B} VrrpStatusChange 2`]);
  });
});
