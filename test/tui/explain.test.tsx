// The instance detail shows the daemon's `explain` for that instance: the sentence, what
// would change it and the newest decisions; a daemon without `explain` is said so.
import "./force-color";
import { afterEach, expect, test } from "bun:test";
import type { Explanation } from "../../src/control/protocol";
import { sample } from "./fixtures";
import { FakeDaemon, KEY, type Mounted, mount } from "./harness";

let open: Mounted[] = [];
afterEach(async () => {
  for (const m of open) {
    m.tui.quit(0);
    await m.tui.done;
  }
  open = [];
});

const why: Explanation = {
  instance: "vi_db",
  state: "BACKUP",
  since: Date.now() - 60_000,
  sentence:
    "BACKUP since 10:04:12: 10.0.0.12 advertises priority 150 > mine 90 (base 100, chk_pg failed \u221210); nopreempt is set, so I will not take over while it advertises; I become MASTER if its adverts stop for 3.64 s",
  wouldChange: ["10.0.0.12's adverts stopping for 3.64 s makes me MASTER"],
  decisions: [
    { at: Date.now() - 90_000, from: "INIT", to: "BACKUP", reason: "init", rule: "r", words: "started as BACKUP" },
    {
      at: Date.now() - 60_000,
      from: "MASTER",
      to: "BACKUP",
      reason: "higher-priority-advert",
      rule: "RFC 5798 6.4.3",
      words: "10.0.0.12 advertises priority 150 > mine 90",
    },
  ],
};

test("the detail view shows why the instance is in its state, asked for that instance", async () => {
  const d = new FakeDaemon(sample());
  d.replies.explain = (r) =>
    r.instance === "vi_db"
      ? { ok: true, result: [why] }
      : { ok: false, error: { code: "not-found", message: `no instance ${r.instance}` } };
  const m = await mount(d, { columns: 120, rows: 40 });
  open.push(m);
  await m.waitFor("vi_db");
  await m.press("j");
  await m.press(KEY.enter);
  const f = await m.waitFor("would change");
  const lines = f.split("\n");
  const at = lines.findIndex((l) => l.includes("why "));
  // the sentence, wrapped at the view's width, reads whole again
  const sentence = lines
    .slice(
      at,
      lines.findIndex((l) => l.includes("would change")),
    )
    .map((l) => l.slice(l.indexOf("why ") >= 0 ? l.indexOf("why ") + 17 : 17).trim())
    .join(" ");
  // in ASCII, as all the TUI's text (tui/README.md)
  expect(sentence).toBe(why.sentence.replace("\u2212", "-"));
  expect(f).toContain("- 10.0.0.12's adverts stopping for 3.64 s makes me MASTER");
  // newest decision first
  expect(f.indexOf("MASTER -> BACKUP: 10.0.0.12 advertises")).toBeLessThan(f.indexOf("INIT -> BACKUP: started"));
  expect(d.sent("explain").every((r) => r.instance === "vi_db")).toBe(true);
});

test("a daemon that does not know `explain` is shown as such, the rest of the detail still there", async () => {
  const d = new FakeDaemon(sample());
  d.replies.explain = () => ({ ok: false, error: { code: "unknown-command", message: 'unknown cmd "explain"' } });
  const m = await mount(d, { columns: 120, rows: 40 });
  open.push(m);
  await m.waitFor("vi_db");
  await m.press("j");
  await m.press(KEY.enter);
  const f = await m.waitFor('unknown (unknown cmd "explain")');
  expect(f).toContain("configured 100, effective 90");
});
