/**
 * keel's real-time signal handler (native-bindings/signals.ts): its machine code for both
 * architectures, byte for byte against the encodings in signal-handler-code.ts, and on
 * this machine's architecture the handler itself, installed for keepalived's two real-time
 * signals and raised at this process: each callback runs on the main thread, as many
 * times as the signal came, and the process survives (the default action would kill it).
 */
import { describe, expect, test } from "bun:test";
import { onSignal } from "../../../native-bindings/signals";
import { handlerCode } from "../../../native-bindings/signal-handler-code";
import { SIGNUMS } from "../../../src/args";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("the handler's machine code", () => {
  test("x86-64: the fd is mov edi's little-endian immediate", () => {
    const code = handlerCode("x64")?.(0x01020304);
    expect(hex(code as Uint8Array)).toBe("57b801000000bf040302014889e6ba010000000f055fc3");
  });

  test("aarch64: the fd is movz x0's immediate, in bits 5..20", () => {
    const code = handlerCode("arm64")?.(7) as Uint8Array;
    const words = Array.from({ length: code.length / 4 }, (_, i) => new DataView(code.buffer).getUint32(i * 4, true));
    expect(words.map((w) => w.toString(16))).toEqual([
      "d10043ff",
      "390003e0",
      "d28000e0",
      "910003e1",
      "d2800022",
      "d2800808",
      "d4000001",
      "910043ff",
      "d65f03c0",
    ]);
  });

  test("an fd the instruction cannot hold is refused, another architecture has none", () => {
    expect(() => handlerCode("arm64")?.(0x10000)).toThrow(RangeError);
    expect(() => handlerCode("x64")?.(-1)).toThrow(RangeError);
    expect(handlerCode("riscv64")).toBeUndefined();
  });
});

describe("on this machine", () => {
  test("SIGJSON and STATS_CLEAR reach their callbacks, once per signal, and the process lives", async () => {
    const got: number[] = [];
    let wake: () => void = () => {};
    const json = SIGNUMS.JSON as number;
    const clear = SIGNUMS.STATS_CLEAR as number;
    for (const s of [json, clear])
      onSignal(s, () => {
        got.push(s);
        wake();
      });
    const arrived = (n: number) =>
      new Promise<void>((resolve) => {
        wake = () => got.length >= n && resolve();
        wake();
      });
    process.kill(process.pid, json);
    await arrived(1);
    process.kill(process.pid, clear);
    await arrived(2);
    process.kill(process.pid, json);
    await arrived(3);
    expect(got).toEqual([json, clear, json]);
  });
});
