/**
 * config_save_dir (runtime/config-save.ts) and the concatenated copy it saves
 * (preprocess.ts `copy`), in keepalived 2.2.7's layout; test/netns/config-save.test.ts
 * compares the files with keepalived's own.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Diagnostics } from "../../../src/config/diagnostics";
import { preprocessTo } from "../../../src/config/preprocess";
import { memorySource } from "../../../src/config/source";
import { ConfigSave } from "../../../src/runtime/config-save";
import { createLogger } from "../../../src/runtime/log";

const dir = mkdtempSync(join(tmpdir(), "keel-config-save-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("the copy: `# FILE` and `!` around each file, lines decommented and trimmed, an include blank", () => {
  const lines: string[] = [];
  const source = memorySource({
    "/m.conf": '! top\nglobal_defs {\n   router_id r1   # why\n}\n\ninclude /i.conf\nnotify "/bin/a # b"\n',
    "/i.conf": "vrrp_instance V {\n\t interface eth0\n}\n",
  });
  preprocessTo("/m.conf", source, new Diagnostics(), { copy: (l) => lines.push(l) }, () => {});
  expect(lines).toEqual([
    "# /m.conf",
    "",
    "global_defs {",
    "router_id r1",
    "}",
    "",
    "",
    "# /i.conf",
    "vrrp_instance V {",
    "interface eth0",
    "}",
    "!",
    'notify "/bin/a # b"',
    "!",
  ]);
});

test("file names and numbers: reads from 0, reloads from 1; a missing directory is made", () => {
  const logged: string[] = [];
  const save = new ConfigSave(createLogger({ write: (l) => logged.push(l) }), 4242);
  const target = join(dir, "made");
  save.configure(`${target}/`);
  expect(statSync(target).isDirectory()).toBe(true);
  save.saveCopy(() => ["# /k.conf", "!"]);
  save.pre("vrrp", () => "before\n");
  save.saveCopy(() => ["# /k.conf", "x", "!"]);
  save.post("vrrp", () => "after\n");
  expect(readdirSync(target).sort()).toEqual([
    "keepalived.conf.4242.0",
    "keepalived.conf.4242.1",
    "keepalived_vrrp.4242.1.post",
    "keepalived_vrrp.4242.1.pre",
  ]);
  expect(readFileSync(join(target, "keepalived.conf.4242.1"), "utf8")).toBe("# /k.conf\nx\n!\n");
  expect(readFileSync(join(target, "keepalived_vrrp.4242.1.pre"), "utf8")).toBe("before\n");
  expect(statSync(join(target, "keepalived_vrrp.4242.1.post")).mode & 0o777).toBe(0o600);
  expect(logged).toEqual([]);
});

test("a path that is no directory: reported, nothing saved, the numbers still counted", () => {
  const logged: string[] = [];
  const save = new ConfigSave(createLogger({ write: (l) => logged.push(l) }), 7);
  const file = join(dir, "file");
  writeFileSync(file, "");
  save.configure(file);
  let asked = false;
  save.saveCopy(() => {
    asked = true;
    return [];
  });
  save.pre("vrrp", () => "x");
  expect(asked).toBe(false);
  expect(logged.join("")).toContain(`config_save_dir ${file} exists and is not a directory`);
});
