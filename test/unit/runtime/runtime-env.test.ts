import { describe, expect, test } from "bun:test";
import { RUNTIME_ENV, runtimeEnv } from "../../../src/runtime/runtime-env";

describe("runtimeEnv", () => {
  test("turns Bun's GC timer and JSC's FTL tier off for the processes keel starts, unless the environment names them", () => {
    expect(runtimeEnv({})).toEqual({ BUN_GC_TIMER_DISABLE: "1", BUN_JSC_useFTLJIT: "0" });
    expect(runtimeEnv({ BUN_GC_TIMER_DISABLE: "0" })).toEqual({ BUN_JSC_useFTLJIT: "0" });
    expect(runtimeEnv({ BUN_GC_TIMER_DISABLE: "0", BUN_JSC_useFTLJIT: "1" })).toEqual({});
  });

  test("both unit files set each for the foreground daemon systemd starts", async () => {
    for (const unit of ["../../../systemd/keel.service", "../../../packaging/debian/keel.service"]) {
      const text = await Bun.file(`${import.meta.dir}/${unit}`).text();
      for (const [k, v] of Object.entries(RUNTIME_ENV))
        expect(text).toMatch(new RegExp(`^Environment=${k}=${v}$`, "m"));
    }
  });

  // Bun exits at start, status 1, on a BUN_JSC_ option its JavaScriptCore does not know:
  // a renamed option in a Bun upgrade would stop the daemon from starting. This starts the
  // pinned runtime with the environment and asks JSC to report its FTL compiles, made on the
  // main thread (useConcurrentJIT=0) so that a loaded machine cannot end the program first.
  const HOT =
    "function f(x){let s=0;for(let i=0;i<100;i++)s+=i*x;return s}let t=0;for(let i=0;i<300000;i++)t+=f(i);console.log(t>0)";
  const run = (env: Record<string, string>) =>
    Bun.spawnSync([process.execPath, "-e", HOT], {
      env: {
        ...process.env,
        BUN_JSC_useFTLJIT: undefined,
        ...env,
        BUN_JSC_reportFTLCompileTimes: "1",
        BUN_JSC_useConcurrentJIT: "0",
      },
    });

  test("the pinned runtime starts with it, and compiles nothing to FTL under it", () => {
    const off = run(runtimeEnv({}));
    // no "invalid JSC environment variable", and no FTL compile reported
    expect(off.stderr.toString()).toBe("");
    expect(off.exitCode).toBe(0);
    expect(off.stdout.toString()).toBe("true\n");
    // the same program without it does reach FTL: the report would show one
    const on = run({ BUN_GC_TIMER_DISABLE: "1" });
    expect(on.exitCode).toBe(0);
    expect(on.stdout.toString() + on.stderr.toString()).toContain("using FTL");
  });
});
