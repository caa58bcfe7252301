// The keepalived.conf language as a whole: conditionals, definitions, ~SEQ/~LST,
// includes, block structure and keyword errors, checked through the full parser.
import { describe } from "bun:test";
import type { KeelConfig } from "../../../src/config/model";
import { fixtureTests } from "./fixtures";

/** The parts of an instance these fixtures are about. */
const instances = (c: KeelConfig) => ({
  routerId: c.globalDefs.routerId,
  instances: Object.values(c.vrrpInstances).map((i) => ({
    name: i.name,
    state: i.state,
    interface: i.interface,
    vrid: i.virtualRouterId,
    priority: i.priority,
    vips: i.virtualIpaddress.map(
      (v) => `${v.address}/${v.prefix}${v.dev ? ` dev ${v.dev}` : ""}${v.label ? ` label ${v.label}` : ""}`,
    ),
  })),
});

describe("language fixtures", () => fixtureTests("language", instances));
describe("real-world fixtures", () => fixtureTests("realworld", instances));
describe("hand-written TOML fixtures", () => fixtureTests("toml", instances));
