/**
 * How a virtual route is added beside a route of the same key (destination, tos, metric,
 * table) that is already there, against Debian's keepalived 2.2.7: its netlink_route sends
 * RTM_NEWROUTE with NLM_F_CREATE alone by default (`prepend`: the new route goes first),
 * NLM_F_CREATE|NLM_F_APPEND for `append` (after it) and NLM_F_CREATE|NLM_F_EXCL only for
 * `add` (refused: EEXIST, the other route stays alone). keel used to send NLM_F_EXCL for
 * every route, so a route beside another was never installed. The same lines run under
 * keepalived and keel in two namespaces, and as `ip route prepend/append/add` in a third,
 * each with the same static routes installed first; the kernel's routes must be the same.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { HOOK_TIMEOUT_MS, Lab, type Proc, ensureKeel, eventually } from "../netns/harness";
import { routesConf } from "./route-lab";

const HOSTS = ["ka", "keel"] as const;
/** a third namespace where `ip route` installs the same routes */
const IPR = "ipr";
/** each configured line, and the ip route command that adds it the same way */
const ROUTES: [line: string, ip: string][] = [
  ["10.95.0.0/24 via 10.99.0.1 dev eth0", "prepend"],
  ["10.96.0.0/24 via 10.99.0.1 dev eth0 append", "append"],
  ["10.97.0.0/24 via 10.99.0.1 dev eth0 add", "add"],
];
const DSTS = ["10.95.0.0/24", "10.96.0.0/24", "10.97.0.0/24"];

let lab: Lab;
const procs: Record<string, Proc> = {};

const conf = (host: string, vrid: number) =>
  routesConf(
    host,
    vrid,
    ROUTES.map(([r]) => r),
  );

/** The destinations' routes in the kernel's order (a prepended one before the one it joined). */
const routes = (host: string): string[] => {
  const all = lab.exec(host, ["ip", "-4", "-o", "route", "show", "table", "main"]).split("\n");
  return DSTS.flatMap((d) => all.filter((l) => l.startsWith(`${d} `)).map((l) => l.replace(/\s+/g, " ").trim()));
};
const ours = (host: string) => routes(host).filter((l) => l.includes("proto keepalived"));

beforeAll(async () => {
  ensureKeel();
  lab = Lab.create([...HOSTS, IPR]);
  // the routes already there: same key, another gateway, another protocol
  for (const h of [...HOSTS, IPR])
    for (const d of DSTS) lab.exec(h, ["ip", "route", "add", d, "via", "10.99.0.2", "dev", "eth0", "proto", "static"]);
  for (const [line, how] of ROUTES) {
    const args = line.replace(/ (append|add)$/, "").split(" ");
    // `ip route add` is refused (EEXIST) as keepalived's `add` is
    lab.exec(IPR, ["ip", "route", how, ...args, "proto", "keepalived", "scope", "global"], {
      allowFail: how === "add",
    });
  }
  procs.ka = lab.keepalived("ka", conf("ka", 79));
  procs.keel = lab.keel("keel", conf("keel", 80));
  await Promise.all(HOSTS.map((h) => procs[h]!.waitFor(/\(VI_1\) Entering MASTER STATE/, 30_000)));
}, HOOK_TIMEOUT_MS);
afterAll(() => lab?.destroy());

describe("virtual routes beside an existing route of the same key, keel against keepalived 2.2.7", () => {
  test("prepend (the default) goes first, append after, add is refused: as ip route does, as keepalived does", async () => {
    await eventually(() => HOSTS.every((h) => ours(h).length === 2), 15_000).catch((e) => {
      throw new Error(`${e}\n${HOSTS.map((h) => `${h}: ${JSON.stringify(routes(h))}`).join("\n")}`);
    });
    const [ka, keel, ipr] = [routes("ka"), routes("keel"), routes(IPR)];
    expect(keel).toEqual(ipr);
    expect(keel).toEqual(ka);
    expect(keel).toEqual([
      "10.95.0.0/24 via 10.99.0.1 dev eth0 proto keepalived",
      "10.95.0.0/24 via 10.99.0.2 dev eth0 proto static",
      "10.96.0.0/24 via 10.99.0.2 dev eth0 proto static",
      "10.96.0.0/24 via 10.99.0.1 dev eth0 proto keepalived",
      "10.97.0.0/24 via 10.99.0.2 dev eth0 proto static",
    ]);
  }, 30_000);

  test("on stop, keel takes its own away and leaves the others, as keepalived does", async () => {
    for (const h of HOSTS) procs[h]!.kill("SIGTERM");
    await Promise.all(HOSTS.map((h) => procs[h]!.exited));
    for (const h of HOSTS) expect(ours(h)).toEqual([]);
    for (const h of HOSTS) expect(routes(h).length).toBe(3);
  }, 30_000);

  test("the same lines (-D): routes set after the VIPs, removed before them; the refused `add` only when removed", () => {
    // keepalived vrrp_handle_iproutes writes "(VI_1) setting/removing Virtual Routes" with
    // -D; netlink_parse_info takes EEXIST on RTM_NEWROUTE without a word (2.2.7, 2.4.3), so
    // the `add` route counts as set, and its delete at stop (the kernel's route is another
    // protocol's: ESRCH) is logged as every other refusal is
    const said = (h: string) =>
      procs[h]!.lines.map((l) => l.text.replace(/^.*?: (?=\(VI_1\)|Netlink)/, "").replace(/seq=\d+/, "seq=N")).filter(
        (t) => /^\(VI_1\) (Entering \w+ STATE|\w+ing (VIPs\.|Virtual \w+)|sent 0 priority)|^Netlink: error/.test(t),
      );
    expect(said("keel")).toEqual(said("ka"));
    // at start: the clean-up (vrrp_restore_interfaces_startup), then vrrp_init_state's
    // vrrp_restore_interface again, which has nothing to remove but says so
    expect(said("ka")).toEqual([
      "(VI_1) removing Virtual Routes",
      "(VI_1) removing VIPs.",
      "(VI_1) removing Virtual Routes",
      "(VI_1) Entering BACKUP STATE (init)",
      "(VI_1) Entering MASTER STATE",
      "(VI_1) setting VIPs.",
      "(VI_1) setting Virtual Routes",
      "(VI_1) sent 0 priority",
      "(VI_1) removing Virtual Routes",
      "Netlink: error: No such process(3), type=RTM_DELROUTE(25), seq=N, pid=0",
      "(VI_1) removing VIPs.",
    ]);
  });
});
