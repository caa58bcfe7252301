// The real checker driver (src/runtime/checker-driver.ts) around the engine, without root
// and without IPVS: a TCP_CHECK against a real listener on 127.0.0.1. It proves the
// plumbing (one timer, probes run, results fed back, events, status, reload, stop); the
// rules themselves are timed exactly in engine.test.ts. It waits for events, never for a
// fixed time: BOOTSTRAP_DELAY makes it take about two seconds.
import { afterEach, describe, expect, test } from "bun:test";
import pino from "pino";
import { parseConf } from "../../../src/config/parse";
import { memorySource } from "../../../src/config/source";
import type { Event } from "../../../src/control/protocol";
import { CheckerDriver } from "../../../src/runtime/checker-driver";

function cfg(port: number) {
  const text = `
virtual_server 10.0.0.1 80 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 127.0.0.1 ${port} {
    weight 1
    TCP_CHECK {
      alpha
      warmup 0
      delay_loop 1
      connect_timeout 1
      retry 0
    }
  }
}
`;
  const source = memorySource({ "/mem.conf": text });
  const r = parseConf("/mem.conf", { source, host: { interfaceExists: () => true }, configId: "t" });
  const errs = r.diagnostics.items.filter((d) => d.severity === "error");
  if (errs.length) throw new Error(JSON.stringify(errs));
  return r.config;
}

/** Events as they come, and a way to wait for the next one that matches. */
function recorder() {
  const events: Event[] = [];
  const waiting: { match: (e: Event) => boolean; resolve: (e: Event) => void }[] = [];
  const onEvent = (e: Event) => {
    events.push(e);
    for (const w of waiting.splice(0)) {
      if (w.match(e)) w.resolve(e);
      else waiting.push(w);
    }
  };
  const next = (match: (e: Event) => boolean) => new Promise<Event>((resolve) => waiting.push({ match, resolve }));
  return { events, onEvent, next };
}

const realServer = (up: boolean) => (e: Event) => e.event === "real-server" && e.up === up;

describe("the checker driver", () => {
  let driver: CheckerDriver | undefined;
  let listener: { stop(closeActive?: boolean): void } | undefined;
  afterEach(() => {
    driver?.stop();
    listener?.stop(true);
  });

  test("probes a real listener: alpha → up, listener gone → down, reload keeps the state, stop", async () => {
    const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {}, open: (s) => void s.end() } });
    listener = server;
    const port = server.port;
    const lines: string[] = [];
    const log = pino({ level: "info" }, { write: (s: string) => void lines.push(JSON.parse(s).msg) });
    const rec = recorder();
    driver = new CheckerDriver({ config: cfg(port), log, onEvent: rec.onEvent, random: () => 0 });
    driver.start();
    expect(driver.status()[0]?.realServers[0]?.checkers[0]?.up).toBe(false);

    await rec.next(realServer(true));
    expect(lines).toContain(`TCP connection to [127.0.0.1]:tcp:${port} success.`);
    expect(driver.status()[0]?.realServers[0]).toMatchObject({ up: true, checkers: [{ type: "TCP_CHECK", up: true }] });

    server.stop(true);
    listener = undefined;
    await rec.next(realServer(false));
    expect(lines).toContain(`TCP_CHECK on service [127.0.0.1]:tcp:${port} failed.`);
    const checks = rec.events.filter((e) => e.event === "checker");
    expect(checks.map((e) => e.event === "checker" && e.up)).toEqual([true, false]);

    // an unchanged checker keeps its state across a reload and is not announced again
    const activating = lines.filter((l) => l.startsWith("Activating")).length;
    driver.reload(cfg(port));
    expect(lines.filter((l) => l.startsWith("Activating")).length).toBe(activating);
    expect(driver.status()[0]?.realServers[0]?.checkers[0]?.up).toBe(false);
    await rec.next((e) => e.event === "checker");
    const after = driver.status()[0]?.realServers[0]?.checkers[0];
    expect(after).toMatchObject({ up: false, lastResult: expect.any(String) });
  }, 30_000);
});
