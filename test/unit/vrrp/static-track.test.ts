// track_group on static entries (keepalived 2.2.7 vrrp_static_track.c): which interfaces
// the group's instances track (config/vrrp/static-track.ts) and what the tracker board
// does with them in a real router: FAULT while the entry's interface is down (also one a
// track_interface weighs), nothing for no_track entries or other instances.
import { describe, expect, test } from "bun:test";
import type { KeelConfig } from "../../../src/config/model";
import { parseConf } from "../../../src/config/parse";
import { memorySource } from "../../../src/config/source";
import { staticTrackInterfaces, staticsToRestore } from "../../../src/config/vrrp/static-track";
import { VrrpRouter } from "../../../src/vrrp/router";
import type { Action } from "../../../src/vrrp/types";

function config(text: string): KeelConfig {
  const r = parseConf("/k.conf", {
    source: memorySource({ "/k.conf": text }),
    host: { interfaceExists: () => true },
    configId: "x",
  });
  expect(r.diagnostics.errorCount).toBe(0);
  return r.config;
}

const inst = (name: string, vrid: number, body = "") =>
  `vrrp_instance ${name} {\ninterface eth0\nvirtual_router_id ${vrid}\npriority 100\nvirtual_ipaddress {\n192.0.2.${vrid}/24\n}\n${body}\n}\n`;

const TEXT =
  "global_defs {\ndefault_interface eth9\n}\n" +
  inst("VI_1", 1, "track_interface {\neth2 weight 10\n}") +
  inst("VI_2", 2) +
  "track_group TG {\ngroup {\nVI_1\n}\n}\n" +
  "static_ipaddress {\n10.1.0.1/24 dev eth7 track_group TG\n10.1.5.1/24\n10.1.1.1/24 dev eth3 track_group TG no_track\n10.1.2.1/24 dev eth4\n}\n" +
  "static_routes {\n198.51.100.0/24 via 10.2.0.254 dev eth2 track_group TG\n198.51.101.0/24 dev eth5\n198.51.102.0/24 dev eth5 no_track\n}\n" +
  "static_rules {\nfrom 10.3.0.0/24 iif eth6 table 100 track_group TG\n}\n";

describe("static entries with track_group", () => {
  test("the group's instances track each entry's interface; no_track entries and others add nothing", () => {
    const c = config(TEXT);
    // a route tracks its dev, a rule its iif
    expect(staticTrackInterfaces(c, "eth9", "VI_1").sort()).toEqual(["eth2", "eth6", "eth7"]);
    expect(staticTrackInterfaces(c, "eth9", "VI_2")).toEqual([]);
  });

  test("an interface coming up restores its static addresses and routes, except no_track", () => {
    const c = config(TEXT);
    const r = staticsToRestore(c, "eth9", "eth5");
    expect(r.routes.map((x) => x.dst)).toEqual(["198.51.101.0/24"]);
    // an address without dev is on default_interface (eth9)
    expect(staticsToRestore(c, "eth9", "eth9").addresses.map((a) => a.address)).toEqual(["10.1.5.1"]);
    expect(staticsToRestore(c, "eth9", "eth7").addresses.map((a) => a.address)).toEqual(["10.1.0.1"]);
    expect(staticsToRestore(c, "eth9", "eth3").addresses).toEqual([]);
  });

  test("in a router: down → FAULT (also where track_interface gives it a weight), up → back", () => {
    const r = new VrrpRouter(config(TEXT), { interfaceAddress: () => "10.0.0.5" });
    r.start(0);
    r.pollActions();
    const moves = () =>
      r
        .pollActions()
        .filter((a): a is Extract<Action, { type: "transition" }> => a.type === "transition")
        .map((a) => `${a.instance}:${a.to}`);
    // eth2 has weight 10 in VI_1's track_interface: keepalived's add_vrrp_to_interface sets it to 0, a fault
    r.handleTrack({ kind: "interface", name: "eth2", up: false }, 100);
    expect(moves()).toEqual(["VI_1:FAULT"]);
    r.handleTrack({ kind: "interface", name: "eth2", up: true }, 200);
    expect(moves()).toEqual(["VI_1:BACKUP"]);
    r.handleTrack({ kind: "interface", name: "eth6", up: false }, 300);
    expect(moves()).toEqual(["VI_1:FAULT"]);
    r.handleTrack({ kind: "interface", name: "eth6", up: true }, 400);
    r.pollActions();
    // the no_track address's interface is tracked by nobody
    r.handleTrack({ kind: "interface", name: "eth3", up: false }, 500);
    expect(moves()).toEqual([]);
  });
});
