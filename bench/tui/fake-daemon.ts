// A fake keel control socket for the TUI bench and for trying the TUI by hand:
// N instances whose counters grow, and a steady stream of events.
//
//   bun bench/tui/fake-daemon.ts PATH [--instances 1000] [--events-per-sec 200] [--uptime SECONDS]
//
// --uptime: the daemon has run that long (states that old, counters that high): a fresh
// start (0, the default) shows every row's IN STATE and RX/TX ticking each second.
import { rmSync } from "node:fs";
import type { Counters, Event, InstanceStatus, Status, VirtualServerStatus } from "../../src/control/protocol";
import { parseRequest } from "../../src/control/protocol";

const STATES = ["MASTER", "BACKUP", "BACKUP", "FAULT"];
const REASONS = ["master-down-timer", "higher-priority-advert", "priority-zero-received", "track-fault"];

export function fakeStatus(n: number, uptimeS = 0): Status {
  const now = Date.now();
  const up = Math.round(uptimeS);
  const instances: InstanceStatus[] = [];
  for (let i = 0; i < n; i++) {
    instances.push({
      name: `VI_${String(i).padStart(4, "0")}`,
      interface: `eth${i % 4}`,
      vrid: (i % 255) + 1,
      family: i % 10 === 0 ? 6 : 4,
      version: i % 10 === 0 ? 3 : 2,
      state: STATES[i % STATES.length]!,
      priority: 100 + (i % 50),
      effectivePriority: 100 + (i % 50) - (i % 7 === 0 ? 10 : 0),
      master: `10.${(i >> 8) & 255}.${i & 255}.1`,
      vips: [`192.168.${(i >> 8) & 255}.${i & 255}/24`, `172.16.${(i >> 8) & 255}.${i & 255}/16`],
      lastTransition: {
        at: now - (up + i) * 1000,
        from: "BACKUP",
        to: STATES[i % STATES.length]!,
        reason: REASONS[i % REASONS.length]!,
      },
      advertsReceived: i * 10 + up,
      advertsSent: i * 5 + up,
      errors: i % 13 === 0 ? 2 : 0,
      faults: i % 4 === 3 ? ["track-interface eth3 down"] : [],
      trackers: i % 7 === 0 ? [{ kind: "script", name: "chk_svc", weight: -10, ok: false }] : [],
    });
  }
  const virtualServers: VirtualServerStatus[] = [];
  for (let v = 0; v < 20; v++) {
    virtualServers.push({
      name: `10.1.0.${v}:80/TCP`,
      scheduler: "wrr",
      method: "NAT",
      quorum: 1,
      hysteresis: 0,
      aliveWeight: 3,
      quorumUp: true,
      sorryActive: false,
      suspended: false,
      realServers: [0, 1, 2].map((r) => ({
        address: `10.2.${v}.${r}:80`,
        up: r !== 2,
        weight: 1,
        liveWeight: r !== 2 ? 1 : undefined,
        checkers: [
          {
            type: "HTTP_GET",
            up: r !== 2,
            lastCheck: now,
            latencyMs: 3,
            lastResult: r !== 2 ? "ok" : "HTTP status 503",
            retries: 0,
          },
        ],
      })),
    });
  }
  return {
    version: 1,
    keel: "0.1.0",
    pid: process.pid,
    startedAt: now,
    configFile: "/etc/keepalived/keepalived.conf",
    instances,
    trackers: [{ kind: "script", name: "chk_svc", ok: false, value: 1, at: now, ms: 12 }],
    virtualServers,
    lvs: { available: true },
  };
}

/** The `counters` reply (src/runtime/status.ts countersOf) of the fake status. */
export function countersOf(st: Status): Counters {
  return {
    at: Date.now(),
    instances: st.instances.map((i) => [i.name, i.advertsReceived, i.advertsSent, i.errors, i.master ?? null]),
  };
}

export interface FakeDaemonServer {
  stop(): void;
  /** events sent so far */
  sent(): number;
}

/** the kinds of events the fake sends, in turn */
export type FakeKind = "transition" | "priority" | "rx-error";
export const FAKE_KINDS: FakeKind[] = ["transition", "priority", "rx-error"];

export function serveFake(
  path: string,
  instances = 1000,
  eventsPerSec = 200,
  kinds: FakeKind[] = FAKE_KINDS,
  uptimeS = 0,
): FakeDaemonServer {
  rmSync(path, { force: true });
  const status = fakeStatus(instances, uptimeS);
  type Data = { buf: string; out: string };
  // Bun's socket.write takes what fits and returns the count: keep the rest for drain().
  const send = (s: import("bun").Socket<Data>, line: string) => {
    if (s.data.out.length > 0) {
      s.data.out += line;
      return;
    }
    const n = s.write(line);
    if (n < line.length) s.data.out = line.slice(Math.max(0, n));
  };
  const subs = new Set<import("bun").Socket<Data>>();
  let sent = 0;
  const server = Bun.listen<Data>({
    unix: path,
    socket: {
      open(s) {
        s.data = { buf: "", out: "" };
      },
      drain(s) {
        if (s.data.out.length === 0) return;
        const n = s.write(s.data.out);
        s.data.out = s.data.out.slice(Math.max(0, n));
      },
      data(s, chunk) {
        s.data.buf += chunk.toString();
        let nl = s.data.buf.indexOf("\n");
        while (nl >= 0) {
          const line = s.data.buf.slice(0, nl);
          s.data.buf = s.data.buf.slice(nl + 1);
          nl = s.data.buf.indexOf("\n");
          const r = parseRequest(line);
          if (!r.ok) {
            send(s, `${JSON.stringify({ ok: false, error: r.error })}\n`);
            continue;
          }
          const { id, cmd } = r.value;
          if (cmd === "subscribe") subs.add(s);
          const result =
            cmd === "status" || cmd === "subscribe"
              ? status
              : cmd === "counters"
                ? countersOf(status)
                : cmd === "hello"
                  ? { protocol: 1 }
                  : null;
          send(s, `${JSON.stringify({ id, ok: true, result })}\n`);
        }
      },
      close(s) {
        subs.delete(s);
      },
    },
  });
  // counters move every 100 ms (1 advert/s per instance, like advert_int 1)
  const counters = setInterval(() => {
    for (const i of status.instances) {
      if (i.state === "MASTER") i.advertsSent += 1;
      else i.advertsReceived += 1;
    }
  }, 1000);
  // events in small bursts every 20 ms
  const perTick = Math.round(eventsPerSec / 50);
  let k = 0;
  const events = setInterval(() => {
    if (subs.size === 0 || perTick === 0) return;
    let out = "";
    for (let j = 0; j < perTick; j++, k++) {
      const i = status.instances[k % status.instances.length]!;
      let e: Event;
      const kind = kinds[k % kinds.length];
      if (kind === "transition") {
        const to = i.state === "MASTER" ? "BACKUP" : "MASTER";
        e = {
          event: "transition",
          at: Date.now(),
          instance: i.name,
          from: i.state,
          to,
          reason: REASONS[k % REASONS.length]!,
        };
        i.state = to;
      } else if (kind === "priority") {
        e = {
          event: "priority",
          at: Date.now(),
          instance: i.name,
          from: i.effectivePriority,
          to: i.effectivePriority - 1,
        };
        i.effectivePriority -= 1;
      } else e = { event: "rx-error", at: Date.now(), instance: i.name, from: "10.9.9.9", code: "bad-ttl" };
      out += `${JSON.stringify(e)}\n`;
      sent++;
    }
    for (const s of subs) send(s, out);
  }, 20);
  return {
    stop() {
      clearInterval(counters);
      clearInterval(events);
      server.stop(true);
      rmSync(path, { force: true });
    },
    sent: () => sent,
  };
}

if (import.meta.main) {
  const [path, ...rest] = process.argv.slice(2);
  if (!path) {
    console.error(
      "usage: bun bench/tui/fake-daemon.ts PATH [--instances N] [--events-per-sec N] [--kinds transition,priority,rx-error] [--uptime S]",
    );
    process.exit(2);
  }
  const opt = (name: string, d: number) => {
    const n = rest.indexOf(name);
    return n >= 0 ? Number(rest[n + 1]) : d;
  };
  const k = rest.indexOf("--kinds");
  const kinds = k >= 0 ? (rest[k + 1] ?? "").split(",").filter(Boolean) : FAKE_KINDS;
  const bad = kinds.find((x) => !FAKE_KINDS.includes(x as FakeKind));
  if (bad !== undefined) {
    console.error(`fake-daemon: --kinds: unknown kind "${bad}" (known: ${FAKE_KINDS.join(", ")})`);
    process.exit(2);
  }
  const srv = serveFake(
    path,
    opt("--instances", 1000),
    opt("--events-per-sec", 200),
    kinds as FakeKind[],
    opt("--uptime", 0),
  );
  console.log(`fake keel daemon on ${path}`);
  process.on("SIGTERM", () => {
    srv.stop();
    process.exit(0);
  });
  process.on("SIGINT", () => {
    srv.stop();
    process.exit(0);
  });
}
