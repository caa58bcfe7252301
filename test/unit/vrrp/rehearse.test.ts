/**
 * src/vrrp/rehearse.ts: the takeover run on a scratch instance reaches MASTER and leaves
 * the real instance and the parameters it shares with it as they were.
 */
import { describe, expect, test } from "bun:test";
import { Instance } from "../../../src/vrrp/instance";
import { rehearseTakeover } from "../../../src/vrrp/rehearse";
import type { Action } from "../../../src/vrrp/types";
import { advert, params } from "./one-instance";

describe("rehearseTakeover", () => {
  test("a backup's takeover, run to MASTER on a scratch instance", () => {
    expect(rehearseTakeover(params("state BACKUP\npriority 100"), 0)).toBe("MASTER");
    // an address owner's start is a takeover too (keepalived: a 0 down timer)
    expect(rehearseTakeover(params("state MASTER\npriority 255"), 0)).toBe("MASTER");
  });

  test("the real instance keeps its state, deadline and actions; the shared parameters are unchanged", () => {
    const p = params("state BACKUP\npriority 100\ngarp_master_delay 5");
    const before = structuredClone(p);
    const real = new Instance(p);
    real.start(0);
    real.handleAdvert(advert({ priority: 200 }), 1_000);
    const pending: Action[] = [];
    real.takeActions(pending);
    const due = real.pollTimeout();
    expect(rehearseTakeover(p, due! - 2)).toBe("MASTER");
    expect(p).toEqual(before);
    expect(real.state).toBe("BACKUP");
    expect(real.pollTimeout()).toBe(due);
    expect(real.hasActions()).toBe(false);
    // and its own takeover, when the deadline comes, is the one it would have had
    real.handleTimeout(due!);
    const taken: Action[] = [];
    real.takeActions(taken);
    expect(real.state).toBe("MASTER");
    expect(taken.map((a) => a.type)).toContain("add-vips");
  });
});
