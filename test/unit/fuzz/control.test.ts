// Fuzz targets for control-protocol lines, both directions (see targets/control.ts and harness.ts),
// and the client's handling of the lines the fuzzing showed it used to pass on unchecked.
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "../../../src/control/client";
import type { Event } from "../../../src/control/protocol";
import { fuzzTest } from "./harness";
import { controlRequest, controlServerLine } from "./targets/control";

fuzzTest(test, controlRequest);
fuzzTest(test, controlServerLine);

test("client: a `null` reply line answers the request with bad-reply; a malformed event is skipped", async () => {
  // before parseServerLine, `null` reached the caller as the reply (status.ts then threw on r.ok)
  // and {"event":"transition","at":1} reached the TUI without the fields it reads
  const dir = mkdtempSync(join(tmpdir(), "keel-ctl-"));
  const path = join(dir, "s");
  const server = Bun.listen({
    unix: path,
    socket: {
      data(s) {
        s.write(
          '{"event":"transition","at":1}\n{"event":"priority","at":2,"instance":"VI_1","from":100,"to":50}\nnull\n',
        );
      },
    },
  });
  try {
    const c = await connect(path);
    const events: Event[] = [];
    c.onEvent((e) => events.push(e));
    const r = await c.request({ cmd: "status" });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.code).toBe("bad-reply");
    expect(events.map((e) => e.event)).toEqual(["priority"]);
    c.close();
  } finally {
    server.stop(true);
    rmSync(dir, { recursive: true, force: true });
  }
});
