/**
 * vrrp_track_file contents (parseTrackFileValue in src/vrrp/tracking.ts, which
 * src/runtime/trackers.ts calls on whatever another program wrote to the file). A corpus
 * file is the tracked file's contents. Beyond "never throws", each value is compared with an
 * independent model of what keepalived computes: strtol(buf, NULL, 0) on the first 127 bytes,
 * done here with a regular expression and BigInt, then keepalived's range check.
 */
import fc from "fast-check";
import { parseTrackFileValue, TRACK_FILE_READ_MAX } from "../../../../src/vrrp/tracking";
import { randomBytes, utf8 } from "../gen";
import { type Target, checkResult, expectThat, hit, noThrow } from "../harness";

/** strtol(s, NULL, 0) as glibc does it, then keepalived's bound [INT32_MIN, INT32_MAX + 1] */
function reference(bytes: Uint8Array): { ok: true; value: number } | { ok: false } {
  const s = Buffer.from(bytes.subarray(0, TRACK_FILE_READ_MAX)).toString("latin1");
  // "0x" with no hex digit after it is the number 0 followed by "x"
  const m = /^[ \t\n\v\f\r]*([+-]?)(?:0[xX]([0-9a-fA-F]+)|(0[0-7]*)|([1-9][0-9]*))?/.exec(s)!;
  const digits =
    m[2] !== undefined
      ? BigInt(`0x${m[2]}`)
      : m[3] !== undefined
        ? BigInt(`0o${m[3].slice(1) || "0"}`)
        : m[4] !== undefined
          ? BigInt(m[4])
          : 0n;
  const v = m[1] === "-" ? -digits : digits;
  if (v < -2147483648n || v > 2147483648n) return { ok: false };
  return { ok: true, value: Number(v) };
}

export const trackFile: Target = {
  name: "track-file",
  budgetMs: 500,
  ciRuns: 3000,
  mustReach: ["ok", "out-of-range", "negative", "hex"],
  reached: new Map(),
  run(input) {
    const r = noThrow("parseTrackFileValue", () => parseTrackFileValue(input));
    const want = reference(input);
    if (checkResult("parseTrackFileValue", r, new Set(["out-of-range"]))) {
      const v = r.value as number;
      expectThat(want.ok && want.value === v, `read ${v}, keepalived reads ${want.ok ? want.value : "out of range"}`);
      expectThat(!Object.is(v, -0), "read -0");
      hit(trackFile, "ok");
      if (v < 0) hit(trackFile, "negative");
      if (/^\s*[+-]?0[xX][0-9a-fA-F]/.test(Buffer.from(input).toString("latin1"))) hit(trackFile, "hex");
    } else {
      expectThat(!want.ok, `out of range, keepalived reads ${want.ok ? want.value : ""}`);
      hit(trackFile, "out-of-range");
    }
    // the string form (tests and the simulator pass text) agrees with the bytes
    const asText = noThrow("parseTrackFileValue(text)", () =>
      parseTrackFileValue(Buffer.from(input).toString("latin1")),
    );
    if (input.every((b) => b < 0x80))
      expectThat(JSON.stringify(asText) === JSON.stringify(r), "text and bytes disagree");
  },
  inputs() {
    const number = fc.oneof(
      fc.integer().map(String),
      fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
      fc.constantFrom(
        "2147483648",
        "2147483649",
        "-2147483648",
        "-2147483649",
        "-254",
        "253",
        "0x7fffffff",
        "0x80000000",
        "-0x80000000",
        "0X1f",
        "0x",
        "0xg",
        "010",
        "08",
        "0",
        "-0",
        "+5",
        "--5",
        "+-5",
        "",
        " ",
        "1e3",
        "9".repeat(130),
      ),
    );
    const text = fc
      .tuple(
        fc.constantFrom("", " ", "\t\n", "\v\f\r ", " ".repeat(126), "\u00a0"),
        number,
        fc.constantFrom("", "\n", "abc", "\0 12", " 7"),
      )
      .map(([pre, n, post]) => utf8(pre + n + post));
    return fc.oneof({ weight: 4, arbitrary: text }, { weight: 1, arbitrary: randomBytes(200) });
  },
};
