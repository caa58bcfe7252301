/**
 * auth_hmac's receive path (src/vrrp/auth-hmac.ts) on mutated keepalived 2.4.3 adverts
 * (test/fixtures/vrrp/auth-hmac-2.4.3.json): decodeReceived with the trailer split never
 * throws, and HmacState.verify never throws and answers ok or one of keepalived's failures.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { HmacState } from "../../../../src/vrrp/auth-hmac";
import { decodeReceived } from "../../../../src/vrrp/receive";
import { hexBytes, mutated } from "../gen";
import { type Target, expectThat, hit, noThrow } from "../harness";

const fixture = JSON.parse(
  readFileSync(join(import.meta.dir, "../../../fixtures/vrrp/auth-hmac-2.4.3.json"), "utf8"),
) as { adverts: { family: 4 | 6; at: string; data: string }[] };
/** the fixture's first key (hex:00..1f), which VRID 81 and 84 sign with */
const KEY = Uint8Array.from({ length: 32 }, (_, i) => i);
const FAILURES = new Set([
  "auth_ext_malformed",
  "auth_ext_unknown_key",
  "auth_ext_invalid_hmac",
  "auth_ext_stale",
  "auth_ext_replay",
]);
const AT = Number(fixture.adverts[0]?.at ?? 0) * 1000;

export const authHmacIpv4: Target = {
  name: "vrrp-auth-hmac",
  budgetMs: 500,
  ciRuns: 1500,
  mustReach: ["trailer", "ok", "auth_ext_invalid_hmac"],
  reached: new Map(),
  run(data) {
    const r = noThrow("decodeReceived(v4, hmac)", () =>
      decodeReceived({ ifname: "eth0", family: 4, data, wallMs: AT }, undefined, true),
    );
    if (!r.ok || !r.value.hmac) return;
    hit(authHmacIpv4, "trailer");
    const v = r.value;
    const s = new HmacState({
      keys: [{ id: 1, key: KEY }],
      activeKey: 1,
      antiReplayTime: true,
      timeWindow: 3600,
      mode: "enforce",
    });
    const got = noThrow("verify", () => s.verify(v.hmac, 4, v.version, v.vrid, v.from, undefined));
    expectThat(got !== undefined, "a trailer present gave no answer");
    if (got?.ok) hit(authHmacIpv4, "ok");
    else if (got) {
      expectThat(FAILURES.has(got.failure), `unknown failure ${got.failure}`);
      hit(authHmacIpv4, got.failure);
    }
  },
  inputs() {
    const seeds = fixture.adverts.filter((a) => a.family === 4).map((a) => hexBytes(a.data));
    return fc.oneof(
      { weight: 1, arbitrary: fc.constantFrom(...seeds).map((b) => b.slice()) },
      { weight: 6, arbitrary: mutated(seeds) },
    );
  },
};
