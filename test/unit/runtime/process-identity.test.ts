// Which name each of keel's processes takes (src/runtime/process-identity.ts); the interop
// test test/interop/process-identity.test.ts reads /proc/PID/comm beside keepalived.
import { expect, test } from "bun:test";
import { createGlobalDefs } from "../../../src/config/global/model";
import { processNameFor } from "../../../src/runtime/process-identity";

test("the daemon takes vrrp_process_name, the checker checker_process_name, BFD bfd_process_name, each else process_name", () => {
  const g = createGlobalDefs();
  expect(processNameFor("vrrp", g)).toBeUndefined();
  expect(processNameFor("checker", g)).toBeUndefined();
  const parent = { ...g, processName: "kp" };
  expect(processNameFor("vrrp", parent)).toBe("kp");
  expect(processNameFor("checker", parent)).toBe("kp");
  expect(processNameFor("bfd", parent)).toBe("kp");
  const all = {
    ...parent,
    vrrpProcessName: "keepalived_vrrp",
    checkerProcessName: "keepalived_lvs",
    bfdProcessName: "keepalived_bfd",
  };
  expect(processNameFor("vrrp", all)).toBe("keepalived_vrrp");
  expect(processNameFor("checker", all)).toBe("keepalived_lvs");
  expect(processNameFor("bfd", all)).toBe("keepalived_bfd");
});
