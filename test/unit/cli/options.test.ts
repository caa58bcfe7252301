// keepalived 2.2.7's command-line options in keel: each one parsed as keepalived parses it,
// applied, or refused with its reason (never accepted and ignored).
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OPTIONS, helpText, parseUmask } from "../../../src/args";
import { keel } from "./run-keel";
import { SimKernel, SimSegment } from "../../../src/demo/sim-kernel";
import { logAddressChanges } from "../../../src/runtime/address-log";
import { startMode } from "../../../src/runtime/background";
import { coreDumps } from "../../../src/runtime/core-dump";
import { LOG_DAEMON, LOG_USER, createLogger, parseFacility } from "../../../src/runtime/log";

const dir = mkdtempSync(join(tmpdir(), "keel-options-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const GOOD = `vrrp_instance VI_1 {
    state BACKUP
    interface lo
    virtual_router_id 51
    priority 150
    virtual_ipaddress {
        192.0.2.10/24
    }
}
`;

/**
 * keepalived 2.2.7 core/main.c long_options as Debian builds it (no --perf, --debug,
 * mem-check), with each one's has_arg: r required, o optional, n none.
 */
const KEEPALIVED_227_ARGS: Record<string, "r" | "o" | "n"> = {
  "use-file": "r",
  vrrp: "n",
  check: "n",
  no_bfd: "n",
  all: "n",
  "log-console": "n",
  "log-detail": "n",
  "log-facility": "r",
  "log-file": "o",
  "all-config": "n",
  "flush-log-file": "n",
  "no-syslog": "n",
  umask: "r",
  "release-vips": "n",
  "dont-release-vrrp": "n",
  "dont-release-ipvs": "n",
  "dont-respawn": "n",
  "dont-fork": "n",
  "dump-conf": "n",
  pid: "r",
  vrrp_pid: "r",
  genhash: "n",
  checkers_pid: "r",
  "address-monitoring": "n",
  bfd_pid: "r",
  snmp: "n",
  "snmp-agent-socket": "r",
  "core-dump": "n",
  "core-dump-pattern": "o",
  namespace: "r",
  "config-id": "r",
  signum: "r",
  "config-test": "o",
  "config-fd": "r",
  version: "n",
  help: "n",
};
const KEEPALIVED_227 = Object.keys(KEEPALIVED_227_ARGS);
/** their short options (main.c's getopt_long string) */
const KEEPALIVED_227_SHORT: Record<string, string> = {
  "use-file": "f",
  vrrp: "P",
  check: "C",
  no_bfd: "B",
  "log-console": "l",
  "log-detail": "D",
  "log-facility": "S",
  "log-file": "g",
  "all-config": "e",
  "no-syslog": "G",
  umask: "u",
  "release-vips": "X",
  "dont-release-vrrp": "V",
  "dont-release-ipvs": "I",
  "dont-respawn": "R",
  "dont-fork": "n",
  "dump-conf": "d",
  pid: "p",
  vrrp_pid: "r",
  genhash: "T",
  checkers_pid: "c",
  "address-monitoring": "a",
  bfd_pid: "b",
  snmp: "x",
  "snmp-agent-socket": "A",
  "core-dump": "m",
  "core-dump-pattern": "M",
  namespace: "s",
  "config-id": "i",
  "config-test": "t",
  version: "v",
  help: "h",
};
const KIND = { r: "required", o: "optional", n: "none" } as const;

describe("the option table", () => {
  test("has every keepalived 2.2.7 option, none of them keel-only", () => {
    const byName = new Map(OPTIONS.map((o) => [o.long, o]));
    for (const name of KEEPALIVED_227) {
      expect({ name, has: byName.has(name) }).toEqual({ name, has: true });
      expect({ name, status: byName.get(name)?.compat.status }).not.toEqual({ name, status: "keel-only" });
    }
  });
  test("each has keepalived's short option, or none where keepalived has none", () => {
    for (const o of OPTIONS.filter((x) => x.long in KEEPALIVED_227_ARGS))
      expect({ name: o.long, short: o.short }).toEqual({ name: o.long, short: KEEPALIVED_227_SHORT[o.long] });
  });
  test("each takes its argument as keepalived's does (required, optional or none)", () => {
    for (const o of OPTIONS.filter((x) => x.long in KEEPALIVED_227_ARGS))
      expect({ name: o.long, kind: o.kind }).toEqual({ name: o.long, kind: KIND[KEEPALIVED_227_ARGS[o.long] as "r"] });
  });
  test("keel-only options are not keepalived's; refusals and keel-only ones say why", () => {
    for (const o of OPTIONS) {
      if (o.compat.status === "keel-only") expect(KEEPALIVED_227).not.toContain(o.long);
      if (o.compat.status !== "applied") expect((o.compat.note ?? "").length).toBeGreaterThan(10);
    }
  });
  test("--help lists every option", () => {
    const help = helpText();
    for (const o of OPTIONS) expect(help).toContain(`--${o.long}`);
  });
});

describe("refused options", () => {
  for (const o of OPTIONS.filter((x) => x.compat.status === "refused")) {
    test(`--${o.long} exits 1 with its reason, before reading any configuration`, async () => {
      const arg = o.kind === "required" ? [`--${o.long}=x`] : [`--${o.long}`];
      const r = await keel(...arg, "-t", "-f", join(dir, "missing.conf"));
      expect(r.code).toBe(1);
      expect(r.err).toBe(`keel: ${o.short ? `-${o.short}/` : ""}--${o.long} is not supported: ${o.compat.note}\n`);
    });
  }
  test("-T after another option", async () => {
    const r = await keel("-n", "-T");
    expect(r.code).toBe(1);
    expect(r.err).toContain("-T/--genhash must be the first option");
  });
});

describe("-u/--umask: keepalived's strtoll(.., 0) within 0777", () => {
  test("octal, hex, decimal", () => {
    expect(parseUmask("022")).toBe(0o22);
    expect(parseUmask("0")).toBe(0);
    expect(parseUmask("0777")).toBe(0o777);
    expect(parseUmask("0x1ff")).toBe(0o777);
    expect(parseUmask("18")).toBe(18);
  });
  test("anything else is no umask", () => {
    for (const bad of ["0999", "01000", "512", "0x200", "abc", "-1", "22a", "", "0x"])
      expect(parseUmask(bad)).toBe(undefined);
  });
  test("an invalid value is refused with its reason", async () => {
    const r = await keel("-u", "0999", "-t", "-f", write("u.conf", GOOD));
    expect(r.code).toBe(1);
    expect(r.err).toContain("invalid --umask option '0999'");
  });
});

describe("-S/--log-facility: keepalived's values", () => {
  test("0-7 and local0-7 are LOG_LOCALn; daemon and user by name", () => {
    expect(parseFacility("0")).toBe(16);
    expect(parseFacility("7")).toBe(23);
    expect(parseFacility("local3")).toBe(19);
    expect(parseFacility("daemon")).toBe(LOG_DAEMON);
    expect(parseFacility("user")).toBe(LOG_USER);
  });
  test("others are refused (keepalived's strcmp is case-sensitive)", async () => {
    for (const bad of ["8", "local8", "LOCAL3", "kern", "local", "-1", ""]) expect(parseFacility(bad)).toBe(undefined);
    const r = await keel("-S", "kern", "-t", "-f", write("s.conf", GOOD));
    expect(r.code).toBe(1);
    expect(r.err).toContain("invalid log facility 'kern'");
  });
});

describe("-e/--all-config", () => {
  const conf = () => write("e.conf", `include ${dir}/conf.d/*.conf\n${GOOD}`);
  test("without it an include matching no file is a warning", async () => {
    const r = await keel("-t", "-f", conf());
    expect(r.code).toBe(0);
    expect(r.err).toContain("warning[include-no-match]");
  });
  test("with it, an error, and -t and a start both exit 6 (KEEPALIVED_EXIT_NO_CONFIG), as keepalived 2.2.7", async () => {
    const t = await keel("-e", "-t", "-f", conf());
    expect(t.code).toBe(6);
    expect(t.err).toContain("error[include-no-match]");
    const start = await keel("-e", "-n", "-f", conf());
    expect(start.code).toBe(6);
    expect(start.err).toContain("not starting with configuration errors");
  });
});

describe("start mode: the four cases", () => {
  const mode = (o: Partial<Parameters<typeof startMode>[0]>) =>
    startMode({ dontFork: false, daemon: false, terminal: false, child: false, ...o });
  test("-n: foreground, with or without a terminal or --daemon", () => {
    expect(mode({ dontFork: true })).toBe("foreground");
    expect(mode({ dontFork: true, terminal: true })).toBe("foreground");
    expect(mode({ dontFork: true, daemon: true })).toBe("foreground");
  });
  test("no terminal: background, as keepalived", () => {
    expect(mode({})).toBe("background");
  });
  test("--daemon: background, also on a terminal", () => {
    expect(mode({ daemon: true, terminal: true })).toBe("background");
  });
  test("a terminal without -n or --daemon: the TUI", () => {
    expect(mode({ terminal: true })).toBe("tui");
  });
  test("a process keel started itself never goes into the background again", () => {
    expect(mode({ child: true })).toBe("foreground");
    expect(mode({ child: true, daemon: true })).toBe("foreground");
  });
});

describe("config dump (the JSON -d used to print)", () => {
  test("an unknown config command is refused", async () => {
    const r = await keel("config", "show");
    expect(r.code).toBe(1);
    expect(r.err).toContain("keel config: unknown command 'show'");
  });
  test("errors exit 4 with the model still printed", async () => {
    const r = await keel("config", "dump", "-f", write("bad.conf", GOOD.replace("priority 150", "priority 300")));
    expect(r.code).toBe(4);
    expect(r.err).toContain("error[out-of-range]");
    expect(JSON.parse(r.out).vrrpInstances.VI_1.virtualRouterId).toBe(51);
  });
});

function lines() {
  const got: string[] = [];
  const log = createLogger({ write: (l) => got.push(l.replace(/^[^:]+:\d\d:\d\d \d{4}: /, "").trimEnd()) });
  return { got, log };
}

describe("-M/--core-dump-pattern", () => {
  test("writes the pattern and puts the old one back at stop", () => {
    const path = write("core_pattern", "|/usr/lib/systemd/systemd-coredump %P\n");
    const { got, log } = lines();
    const c = coreDumps({ unlimited: false, pattern: "/var/crash/core.%p" }, log, path);
    expect(readFileSync(path, "utf8")).toBe("/var/crash/core.%p");
    c.restore();
    expect(readFileSync(path, "utf8")).toBe("|/usr/lib/systemd/systemd-coredump %P");
    expect(got).toContain("Set core_pattern to '/var/crash/core.%p' (was '|/usr/lib/systemd/systemd-coredump %P')");
  });
  test("a pattern it cannot write is one log line, as keepalived's", () => {
    const { got, log } = lines();
    coreDumps({ unlimited: false, pattern: "core" }, log, join(dir, "no/such/dir/core_pattern")).restore();
    expect(got.some((l) => l.startsWith("Unable to read/write core_pattern"))).toBe(true);
  });
});

describe("-a/--address-monitoring", () => {
  test("logs each address netlink reports, and the driver still sees every event", () => {
    // netlink events come after the request: the segment runs them when told
    const later: (() => void)[] = [];
    const segment = new SimSegment({ defer: (fn) => later.push(fn) });
    const k = new SimKernel({ name: "h1", segment, ipv4: "10.0.0.1", prefixLen: 24 });
    const { got, log } = lines();
    const wrapped = logAddressChanges(k, log);
    const seen: string[] = [];
    const w = wrapped.watch((e) => seen.push(e.type === "addr" ? `${e.action} ${e.addr.address}` : e.type));
    expect(w.ok).toBe(true);
    const vip = { address: "10.0.0.100", prefix: 32, family: 4 as const };
    expect(wrapped.vip("add", vip, 2)).toBe(undefined);
    expect(wrapped.vip("del", vip, 2)).toBe(undefined);
    for (const fn of later.splice(0)) fn();
    expect(got).toEqual([
      "Netlink reflector reports IP 10.0.0.100 added to eth0",
      "Netlink reflector reports IP 10.0.0.100 removed from eth0",
    ]);
    expect(seen).toEqual(["new 10.0.0.100", "del 10.0.0.100"]);
    // everything else is the kernel's own
    expect(wrapped.links()).toEqual(k.links());
  });
});

describe("-m/--core-dump", () => {
  test("lifts the core file size limit (RLIMIT_CORE) to unlimited, as keepalived's core_dump_init", async () => {
    // in a process of its own: the limit is per process, and this one stays as it was
    const script = join(dir, "rlimit.ts");
    writeFileSync(
      script,
      `import { setCoreLimitUnlimited } from ${JSON.stringify(join(import.meta.dir, "../../../native-bindings/rlimit"))};
       import { readFileSync } from "node:fs";
       process.stdout.write(String(setCoreLimitUnlimited() ?? "ok") + "\\n");
       process.stdout.write(readFileSync("/proc/self/limits", "utf8"));`,
    );
    // soft limit 0 first, so only the call can make it unlimited
    const p = Bun.spawn(["sh", "-c", 'ulimit -Sc 0 && exec "$0" "$1"', process.execPath, script], {
      stdout: "pipe",
      stderr: "inherit",
    });
    const out = await new Response(p.stdout).text();
    expect(await p.exited).toBe(0);
    expect(out.split("\n")[0]).toBe("ok");
    expect(out).toMatch(/^Max core file size\s+unlimited\s+unlimited\s+bytes\s*$/m);
  });
});
