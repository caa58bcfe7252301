import { describe, expect, test } from "bun:test";
import { runtimeEnv } from "../../../src/runtime/runtime-env";

describe("runtimeEnv", () => {
  test("turns Bun's GC timer off for the processes keel starts, unless the environment names it", () => {
    expect(runtimeEnv({})).toEqual({ BUN_GC_TIMER_DISABLE: "1" });
    expect(runtimeEnv({ BUN_GC_TIMER_DISABLE: "0" })).toEqual({});
  });

  test("both unit files set it for the foreground daemon systemd starts", async () => {
    for (const unit of ["../../../systemd/keel.service", "../../../packaging/debian/keel.service"]) {
      const text = await Bun.file(`${import.meta.dir}/${unit}`).text();
      expect(text).toMatch(/^Environment=BUN_GC_TIMER_DISABLE=1$/m);
    }
  });
});
