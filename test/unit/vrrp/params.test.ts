// The initial state keepalived settles in vrrp_complete_instance (vrrp.c, 2.2.7), as the
// engine's params carry it: strict mode makes the state follow ownership, AH keeps a
// non-owner out of an initial MASTER, and nopreempt / preempt_delay are judged after that.
import { expect, test } from "bun:test";
import { params as one } from "./one-instance";

const params = (body: string, global = "") => one(body, global);

test("without strict mode the configured state stands", () => {
  expect(params("state MASTER\npriority 150").wantMaster).toBe(true);
  expect(params("state BACKUP\npriority 255").wantMaster).toBe(false);
});

test("strict mode: 'State MASTER must match being address owner'", () => {
  expect(params("state MASTER\npriority 150", "vrrp_strict").wantMaster).toBe(false);
  expect(params("state BACKUP\npriority 255", "vrrp_strict").wantMaster).toBe(true);
  expect(params("state MASTER\npriority 150\nstrict_mode on").wantMaster).toBe(false);
  // nopreempt is judged on the settled state: a strict non-owner keeps it
  const p = params("state MASTER\npriority 150\nnopreempt", "vrrp_strict");
  expect(p.nopreempt).toBe(true);
  expect(params("state MASTER\npriority 150\nnopreempt").nopreempt).toBe(false);
});

test("AH: 'Initial state master is incompatible with AH authentication' (non-owner only)", () => {
  const ah = "authentication {\nauth_type AH\nauth_pass secret\n}";
  expect(params(`state MASTER\npriority 150\n${ah}`, "vrrp_version 2").wantMaster).toBe(false);
  expect(params(`state MASTER\npriority 255\n${ah}`, "vrrp_version 2").wantMaster).toBe(true);
  expect(params(`state MASTER\npriority 150\npreempt_delay 5\n${ah}`, "vrrp_version 2").preemptDelayMs).toBe(5000);
});

test("use_ipvlan's address is the source (vrrp_parser.c), after unicast_src_ip / mcast_src_ip", () => {
  expect(params("use_ipvlan iv51 10.30.0.51/24").source).toBe("10.30.0.51");
  expect(params("use_ipvlan iv51 10.30.0.51").source).toBe("10.30.0.51");
  expect(params("mcast_src_ip 10.30.0.9\nuse_ipvlan iv51 10.30.0.51/24").source).toBe("10.30.0.9");
});
