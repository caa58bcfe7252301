// The periodic advert's records, reused per instance when the router's host says its
// consumer sends each advert before the next (RouterHost.reuseAdverts, the daemon's driver;
// issue 20): every advert must still carry its own instance's contents, and an advert
// still queued must not be rewritten by the next one. Virtual time: no clock is read.
import { expect, test } from "bun:test";
import { VrrpRouter } from "../../../src/vrrp/router";
import { advertPackets, advertPacketsShared } from "../../../src/vrrp/transmit";
import type { Action, AdvertOut } from "../../../src/vrrp/types";
import { configFromText, globalDefs, vrrpInstance } from "../../sim/harness";

type SendAdvert = Extract<Action, { type: "send-advert" }>;

/** Two masters-to-be (VRIDs 1 and 2, priorities 200 and 150, advert_int 1) run to MASTER. */
function twoMasters(reuseAdverts: boolean, extra: string[] = []) {
  const conf = [
    vrrpInstance({ name: "VI_1", vrid: 1, priority: 200, vips: ["192.168.1.1/32"], extra }),
    vrrpInstance({ name: "VI_2", vrid: 2, priority: 150, vips: ["192.168.1.2/32"], extra }),
  ].join("\n");
  const r = new VrrpRouter(configFromText(`${globalDefs(3)}\n${conf}`, "h"), {
    interfaceAddress: () => "10.0.0.2",
    reuseAdverts,
  });
  r.start(0);
  // no master heard: both take over after Master_Down_Interval
  for (let t = 0; t <= 5000; t += 10) r.handleTimeout(t);
  r.pollActions();
  for (const name of ["VI_1", "VI_2"]) expect(r.instances.get(name)?.state).toBe("MASTER");
  // the later of their next advert deadlines (Skew_Time differs with the priority): both
  // fire there and are re-armed from it, so they share every deadline after
  const due = Math.max(...["VI_1", "VI_2"].map((n) => r.instances.get(n)?.pollTimeout() ?? Number.NaN));
  if (!Number.isFinite(due)) throw new Error("no advert deadline");
  return { r, due };
}

const adverts = (list: readonly Action[]) => list.filter((a): a is SendAdvert => a.type === "send-advert");
/** what an advert says, as values: a later rewrite of a shared record would show here */
const contents = (a: AdvertOut) => ({ instance: a.instance, vrid: a.vrid, priority: a.priority, ipId: a.ipId });

test("two instances' periodic adverts drained in one pump keep their own contents, advert after advert", () => {
  const { r, due } = twoMasters(true);
  const list: Action[] = [];
  let seen: SendAdvert[] | undefined;
  const lastId = new Map<string, number>();
  for (let k = 0; k < 5; k++) {
    r.handleTimeout(due + k * 1000);
    r.drainActions(list);
    const sent = adverts(list);
    expect(sent.map((a) => [a.advert.instance, a.advert.vrid, a.advert.priority])).toEqual([
      ["VI_1", 1, 200],
      ["VI_2", 2, 150],
    ]);
    // the two are distinct records, and each one's packet is its own instance's bytes
    expect(sent[0]?.advert).not.toBe(sent[1]?.advert);
    for (const a of sent) {
      const id = a.advert.ipId;
      expect(id).toBe((lastId.get(a.advert.instance) ?? id - 1) + 1);
      lastId.set(a.advert.instance, id);
      const fresh = advertPackets({ ...a.advert }, "10.0.0.2").map((p) => [...p.data]);
      expect(advertPacketsShared(a.advert, "10.0.0.2").map((p) => [...p.data])).toEqual(fresh);
      expect(fresh[0]?.[20 + 1]).toBe(a.advert.vrid); // the VRRP header's VRID byte
    }
    // each instance's periodic records are the same objects from one advert to the next
    if (seen) for (let i = 0; i < 2; i++) expect(sent[i]).toBe(seen[i] as SendAdvert);
    seen = sent;
    list.length = 0;
  }
});

test("an advert still queued (not polled) is not rewritten by the instance's next one", () => {
  const { r, due } = twoMasters(true);
  // one periodic advert polled, so each instance has its kept records
  r.handleTimeout(due);
  r.pollActions();
  // two deadlines with no poll between them: four adverts queued, each its own values
  r.handleTimeout(due + 1000);
  r.handleTimeout(due + 2000);
  const sent = adverts(r.pollActions()).map((a) => contents(a.advert));
  const first = sent.filter((a) => a.instance === "VI_1");
  expect(first.length).toBe(2);
  expect((first[1]?.ipId ?? 0) - (first[0]?.ipId ?? 0)).toBe(1);
  const second = sent.filter((a) => a.instance === "VI_2");
  expect(second.map((a) => a.priority)).toEqual([150, 150]);
  expect((second[1]?.ipId ?? 0) - (second[0]?.ipId ?? 0)).toBe(1);
});

test("without reuseAdverts every advert is a record of its own (the simulator and tests keep them)", () => {
  const { r, due } = twoMasters(false);
  const kept: SendAdvert[] = [];
  for (let k = 0; k < 3; k++) {
    r.handleTimeout(due + k * 1000);
    kept.push(...adverts(r.pollActions()));
  }
  const ids = kept.filter((a) => a.advert.instance === "VI_1").map((a) => a.advert.ipId);
  expect(ids.length).toBe(3);
  expect(ids[1]).toBe((ids[0] ?? 0) + 1);
  expect(ids[2]).toBe((ids[0] ?? 0) + 2);
  expect(new Set(kept.map((a) => a.advert)).size).toBe(kept.length);
});

test("a kept record follows the instance's priority and its switch to the old unicast checksum", () => {
  const { r, due } = twoMasters(true, ["unicast_src_ip 10.0.0.2", "unicast_peer {", "  10.0.0.3", "}"]);
  const inst = r.instances.get("VI_1");
  if (!inst) throw new Error("no VI_1");
  const list: Action[] = [];
  const next = (k: number) => {
    r.handleTimeout(due + k * 1000);
    r.drainActions(list);
    const a = adverts(list).find((x) => x.advert.instance === "VI_1");
    list.length = 0;
    if (!a) throw new Error("VI_1 sent no advert");
    return a.advert;
  };
  next(0);
  const before = next(1);
  expect(before.checksumDst).toBeUndefined();
  // keepalived "Setting unicast VRRPv3 checksum to old version": later adverts use the group
  inst.switchToOldChecksum("10.0.0.3");
  const after = next(2);
  expect(after).toBe(before);
  expect(after.checksumDst).toBe("224.0.0.18");
  expect(advertPacketsShared(after, "10.0.0.2").map((p) => [...p.data])).toEqual(
    advertPackets({ ...after }, "10.0.0.2").map((p) => [...p.data]),
  );
});

test("a kept advert follows a learned source that moved (setSource), as a fresh record would", () => {
  const { r, due } = twoMasters(true);
  r.handleTimeout(due);
  r.pollActions();
  // the interface's address changes: keepalived netlink_if_address_filter takes the new one
  r.handleSource("VI_1", "10.0.0.7", undefined, due + 500);
  r.pollActions();
  r.handleTimeout(due + 1000);
  const sent = adverts(r.pollActions()).find((a) => a.advert.instance === "VI_1");
  expect(sent?.advert.source).toBe("10.0.0.7");
});
