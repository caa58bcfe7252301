/**
 * An address owner (priority 255) at a daemon's start, beside Debian's keepalived 2.2.7
 * (each alone in its namespace on a veth pair, same configuration, both with -D), line for
 * line: keepalived removes its VIPs first like every instance's (vrrp_daemon.c start_vrrp:
 * vrrp_restore_interfaces_startup, "(VO) removing VIPs."), then vrrp_init_state makes it
 * "time out from the backup state very quickly" (ms_down_timer 1): with -D
 * vrrp_dispatcher_read_timeout's "(VO) Receive advertisement timeout", then "(VO) Entering
 * MASTER STATE" and "(VO) setting VIPs.". No "(init)" line. An instance on a VMAC that
 * keepalived creates at start has no such line (vrrp_complete_instance sets vipset only
 * when the interface existed before).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { HOOK_TIMEOUT_MS, Lab, type Proc, ensureKeel } from "../netns/harness";
import { bare } from "./log-lines";

const HOSTS = ["ka", "keel"] as const;
let lab: Lab;
const procs: Record<string, Proc> = {};

const conf = `global_defs {
  router_id ownerstart
}
vrrp_instance VO {
  state MASTER
  interface v1
  virtual_router_id 30
  priority 255
  advert_int 1
  virtual_ipaddress {
    192.168.30.1/24
  }
}
vrrp_instance VV {
  state BACKUP
  interface v1
  use_vmac
  virtual_router_id 31
  priority 100
  advert_int 1
  virtual_ipaddress {
    192.168.31.1/24
  }
}
`;

/** the instance's own lines, but the gratuitous ARPs (their count and pacing are another matter) */
const lines = (h: string, who = "VO") =>
  procs[h]!.lines.map((l) => bare(l.text)).filter((t) => t.startsWith(`(${who})`) && !/gratuitous|Sending/.test(t));

beforeAll(async () => {
  ensureKeel();
  if (!Bun.which("keepalived")) throw new Error("keepalived is needed");
  lab = Lab.create([...HOSTS]);
  for (const h of HOSTS) {
    lab.exec(h, ["ip", "link", "add", "v1", "type", "veth", "peer", "name", "v1p"]);
    lab.exec(h, ["ip", "link", "set", "v1p", "up"]);
    lab.exec(h, ["ip", "link", "set", "v1", "up"]);
    lab.exec(h, ["ip", "addr", "add", "10.1.0.1/24", "dev", "v1"]);
  }
  procs.ka = lab.keepalived("ka", conf);
  procs.keel = lab.keel("keel", conf);
  for (const h of HOSTS) await procs[h]!.waitFor(/\(VO\) setting VIPs\.$/, 30_000);
  for (const h of HOSTS) await procs[h]!.waitFor(/\(VV\) Entering BACKUP STATE \(init\)$/, 30_000);
}, HOOK_TIMEOUT_MS);
afterAll(() => lab?.destroy());

describe("an address owner's start beside keepalived 2.2.7", () => {
  test("its VIPs removed first, then the quick timeout to MASTER", () => {
    const ka = lines("ka");
    expect(ka).toEqual([
      "(VO) removing VIPs.",
      "(VO) Receive advertisement timeout",
      "(VO) Entering MASTER STATE",
      "(VO) setting VIPs.",
    ]);
    expect(lines("keel")).toEqual(ka);
  });

  test("a VMAC created at start: no VIPs to remove, no line (vipset only for an interface that existed)", () => {
    // the VMAC's own creation line is worded apart (keepalived "(VV): Success creating VMAC
    // interface vrrp.31", keel "(VV) Creating VMAC interface vrrp.31"): not compared here
    const state = (h: string) => lines(h, "VV").filter((t) => /VIPs|STATE/.test(t));
    const ka = state("ka");
    expect(ka).toEqual(["(VV) Entering BACKUP STATE (init)"]);
    expect(state("keel")).toEqual(ka);
  });
});
