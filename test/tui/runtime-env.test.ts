// tui/runtime-env.ts: what `keel attach` execs itself with (src/commands/tui-runtime.ts).
// A variable set already, to any value, is kept: the exec'd process finds none missing and
// runs on, so it never execs twice; a user's own setting wins.
import { expect, test } from "bun:test";
import { missingTuiEnv, TUI_RUNTIME_ENV } from "../../tui/runtime-env";

test("the TUI's settings: FTL off, freed pages kept; only the unset ones are missing", () => {
  expect(TUI_RUNTIME_ENV).toEqual({ BUN_JSC_useFTLJIT: "0", MIMALLOC_PURGE_DELAY: "-1" });
  expect(missingTuiEnv({})).toEqual(["BUN_JSC_useFTLJIT", "MIMALLOC_PURGE_DELAY"]);
  expect(missingTuiEnv({ BUN_JSC_useFTLJIT: "1" })).toEqual(["MIMALLOC_PURGE_DELAY"]);
  expect(missingTuiEnv({ ...TUI_RUNTIME_ENV })).toEqual([]);
  expect(missingTuiEnv({ BUN_JSC_useFTLJIT: "", MIMALLOC_PURGE_DELAY: "10" })).toEqual([]);
});
