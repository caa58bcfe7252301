/** `keel control --stdio`'s refusals; the bridge itself runs against a daemon in test/netns/fleet.test.ts. */
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { control } from "../../../src/commands/control";

function io() {
  const o = { out: "", err: "" };
  const io = {
    out: (s: string) => {
      o.out += s;
    },
    err: (s: string) => {
      o.err += s;
    },
  };
  return { o, io };
}
const streams = () => ({ stdin: new PassThrough(), stdout: new PassThrough() });

describe("keel control", () => {
  const dir = mkdtempSync(join(tmpdir(), "keel-control-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("without --stdio: usage, exit 1", async () => {
    const { o, io: i } = io();
    expect(await control([], i, streams())).toBe(1);
    expect(o.err).toBe("keel control: --stdio is the only mode\nusage: keel control --stdio [--control-socket PATH]\n");
  });

  test("no daemon: the path and the reason, exit 1", async () => {
    const { o, io: i } = io();
    const path = join(dir, "none.sock");
    expect(await control(["--stdio", "--control-socket", path], i, streams())).toBe(1);
    expect(o.err).toStartWith(`keel control: no daemon on ${path}: `);
    expect(o.out).toBe("");
  });

  test("a socket in a directory others can write is refused before connecting", async () => {
    const open = join(dir, "open");
    mkdirSync(open);
    chmodSync(open, 0o777);
    const { o, io: i } = io();
    expect(await control(["--stdio", "--control-socket", join(open, "k.sock")], i, streams())).toBe(1);
    expect(o.err).toStartWith(`keel control: refusing control socket ${join(open, "k.sock")}: unsafe directory: `);
  });
});
