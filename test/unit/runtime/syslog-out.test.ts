// syslog-out.ts on a real AF_UNIX datagram socket: the reader's queue holds
// net.unix.max_dgram_qlen datagrams (10 here unless raised), so a burst larger than that
// meets EAGAIN, as a start with -D does against a busy syslogd.
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listenDatagrams, openDatagramSender } from "../../../native-bindings/unix-dgram";
import { queuedSyslog } from "../../../src/runtime/syslog-out";

/** this namespace's limit on datagrams queued for one reader (a burst must exceed it) */
const QLEN = Number(readFileSync("/proc/sys/net/unix/max_dgram_qlen", "utf8"));
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function pair() {
  const dir = mkdtempSync(join(tmpdir(), "keel-syslog-"));
  dirs.push(dir);
  const path = join(dir, "log.sock");
  const reader = listenDatagrams(path);
  const sender = openDatagramSender(path);
  return { reader, sender };
}

/** Read until `n` lines came or nothing more comes for a while (the queue's timer runs between reads). */
async function readAll(reader: { receive(): string[] }, n: number): Promise<string[]> {
  const got: string[] = [];
  let idle = 0;
  while (got.length < n && idle < 200) {
    const batch = reader.receive();
    got.push(...batch);
    idle = batch.length === 0 ? idle + 1 : 0;
    await Bun.sleep(5);
  }
  return got;
}

test("a burst larger than the reader's queue arrives whole and in order once the reader reads", async () => {
  const { reader, sender } = pair();
  try {
    const out = queuedSyslog((d) => sender.send(d), { retryMs: 2 });
    const lines = Array.from({ length: QLEN + 50 }, (_, i) => `line ${i}`);
    for (const l of lines) out.send(l);
    // the socket took what fits; the rest waits (before: it was dropped)
    expect(out.queued).toBeGreaterThan(0);
    expect(await readAll(reader, lines.length)).toEqual(lines);
    expect(out.queued).toBe(0);
  } finally {
    reader.close();
    sender.close();
  }
});

test("past its bound the queue counts what it gives up and says so once drained", async () => {
  const { reader, sender } = pair();
  try {
    const out = queuedSyslog((d) => sender.send(d), { max: 5, retryMs: 2, notice: (n) => `lost ${n}` });
    const total = QLEN + 40;
    for (let i = 0; i < total; i++) out.send(`line ${i}`);
    expect(out.queued).toBe(5);
    const got = await readAll(reader, total - 35 + 1);
    const sent = got.filter((l) => l.startsWith("line "));
    // order kept among what went; the last line is the notice with the exact count
    expect(sent).toEqual([...sent].sort((a, b) => Number(a.slice(5)) - Number(b.slice(5))));
    expect(got.at(-1)).toBe(`lost ${total - sent.length}`);
    expect(out.lost).toBe(0);
  } finally {
    reader.close();
    sender.close();
  }
});

test("no syslogd (nobody bound at the path): the line is dropped, nothing waits", () => {
  const dir = mkdtempSync(join(tmpdir(), "keel-syslog-"));
  dirs.push(dir);
  const reader = listenDatagrams(join(dir, "log.sock"));
  const sender = openDatagramSender(join(dir, "log.sock"));
  reader.close();
  rmSync(join(dir, "log.sock"));
  const out = queuedSyslog((d) => sender.send(d));
  out.send("nobody hears this");
  expect(out.queued).toBe(0);
  sender.close();
});
