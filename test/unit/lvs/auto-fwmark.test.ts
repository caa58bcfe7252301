// nftables_ipvs's fwmarks and fwmark services (keepalived 2.2.7 check_nftables.c
// get_next_fwmark, ipvswrapper.c ipvs_cmd), against what keepalived programmed for
// test/fixtures/nft-ipvs/keepalived.conf (keepalived-ipvsadm.txt beside it).
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { assignAutoFwmarks, markKey } from "../../../src/lvs/auto-fwmark";
import { LvsPool } from "../../../src/lvs/pool";
import { cfg } from "./parse-conf";

const FIXTURE = join(import.meta.dir, "../../fixtures/nft-ipvs/keepalived.conf");

describe("auto fwmarks", () => {
  const c = cfg(readFileSync(FIXTURE, "utf8"));

  test("one mark per (group, protocol) from nftables_ipvs_start_fwmark, in virtual_server order; a group with a fwmark entry gets none", () => {
    const m = assignAutoFwmarks(c, 2000);
    expect([...m.marks]).toEqual([
      [markKey("G1", "TCP"), 2000],
      [markKey("G1", "UDP"), 2001],
      [markKey("G2", "TCP"), 2002],
    ]);
    expect(m.next).toBe(2003);
  });

  test("the pool's services: one fwmark service per group and family; DR destinations lose the port (ipvsadm as keepalived)", () => {
    const pool = new LvsPool(c, assignAutoFwmarks(c, 2000).marks);
    pool.init();
    const rows = pool.desired().map((e) => {
      const s = e.service;
      const head =
        s.fwmark !== undefined
          ? `FWM ${s.fwmark}${s.family === 6 ? " IPv6" : ""}`
          : `${s.protocol} ${s.address}:${s.port}`;
      return `${head} ${s.scheduler}: ${e.dests.map((d) => `${d.address}:${d.port} ${d.method} ${d.weight}`).join(", ")}`;
    });
    expect(rows).toEqual([
      "FWM 2000 rr: 10.20.0.11:80 NAT 1, 10.20.0.12:80 NAT 2",
      "FWM 2001 rr: 10.20.0.11:0 DR 1",
      "FWM 2002 IPv6 wrr: fd00::21:0 DR 1",
      "TCP 10.10.0.220:80 rr: 10.20.0.13:80 NAT 1",
      "FWM 7 rr: 10.20.0.13:80 NAT 1",
    ]);
  });

  test("without marks the group's addresses stay services of their own", () => {
    const pool = new LvsPool(c);
    expect(pool.vss[0]?.keys.map((k) => k.address)).toEqual(["10.10.0.200", "10.10.0.201", "10.10.0.210"]);
  });

  test("a reload keeps a group's mark and numbers a new group after the highest ever given", () => {
    const first = assignAutoFwmarks(c, 2000);
    const text = readFileSync(FIXTURE, "utf8")
      .replace(/virtual_server group G1 \{\n {2}lb_algo rr\n {2}lb_kind DR\n {2}protocol UDP[\s\S]*?\n\}\n/, "")
      .concat(
        "virtual_server_group G4 {\n  10.10.0.130 80\n}\nvirtual_server group G4 {\n  protocol TCP\n  real_server 10.20.0.14 80 {\n  }\n}\n",
      );
    const second = assignAutoFwmarks(cfg(text), 2000, first);
    expect([...second.marks]).toEqual([
      [markKey("G1", "TCP"), 2000],
      [markKey("G2", "TCP"), 2002],
      [markKey("G4", "TCP"), 2003],
    ]);
  });
});
