// DESIGN.md rule 6 (issue 20): on a daemon's path to its first advert nothing imports
// node:fs as an ES module (its namespace's ReadStream getter loads node:stream), nor
// node:net, node:stream, node:crypto, node:child_process, node:os: each costs the compiled
// binary 5–25 ms and hundreds of page faults at every start. They come through `require`
// or `await import()` where they are used. This walks the static `import` statements
// (type-only imports are erased) from the entry point and the daemon, as the bundler's
// chunks load them, and names the module that brings one in.
//
// node:fs itself stays off that path too (its evaluation was 17% of a compiled daemon's
// start-up CPU): the start-path modules read and write files through libc
// (native-bindings/file.ts) and take node:fs only through its `nodeFs()`, on first use. The
// second test holds every start-path module to that (no `require("node:fs")` of its own,
// so `nodeFs()` sees every use), the third starts a daemon up to its first advert and
// expects no `nodeFs()` call on the way.
import { afterEach, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { nodeFsUse } from "../../../native-bindings/file";
import { loadConfig } from "../../../src/config/load";
import { Daemon } from "../../../src/runtime/daemon";
import { createLogger } from "../../../src/runtime/log";
import { TestKernel } from "./daemon-kernel";

const ROOT = resolve(import.meta.dir, "../../..");
const FORBIDDEN = ["fs", "net", "stream", "crypto", "child_process", "os", "tls", "http", "dgram", "worker_threads"];
const transpiler = new Bun.Transpiler({ loader: "ts" });

/**
 * The modules of features a configuration may not use: the daemon imports each only when
 * the configuration (or -m, or a reload) asks for it (daemon.ts loadFeatures), or at the first
 * dump (dumps.ts) or vrrp_strict/no_accept firewall (nft-port.ts), issue 20. The test below
 * fails when a static import brings one back onto every start.
 */
const FEATURES = [
  "src/runtime/dbus-service.ts",
  "src/dbus/bus.ts",
  "src/runtime/metrics.ts",
  "src/runtime/bfd-driver.ts",
  "src/runtime/bfd-link.ts",
  "src/runtime/bfd-net.ts",
  "src/bfd/session.ts",
  "src/runtime/ipvs-port.ts",
  "native-bindings/ipvs/index.ts",
  "src/runtime/nft-port.ts",
  "native-bindings/nftables/index.ts",
  "src/runtime/dumps.ts",
];

/**
 * The daemon's start also runs what these files `await import()` (the daemon, its log, pid
 * files, the background start, core dumps …), except the subcommands, the lint warnings
 * (printed after the first advert), SNMP (only with enable_snmp), the features above (only
 * with their keywords) and the checker and BFD child processes (their own starts, not the
 * VRRP daemon's).
 */
const DYNAMIC_FROM = ["src/cli.ts", "src/runtime/daemon.ts"];
const NOT_ON_THE_PATH = [
  "./commands/",
  "./lint",
  "../snmp/",
  "./runtime/checker-child",
  "./runtime/bfd-child",
  "./dbus-service",
  "./metrics",
  "./bfd-driver",
  "./bfd-link",
  "./ipvs-port",
  "./runtime/dumps", // cli.ts: with -d only
];

function resolveLocal(from: string, spec: string): string | undefined {
  const base = resolve(dirname(from), spec);
  for (const p of [base, `${base}.ts`, `${base}.tsx`, join(base, "index.ts")])
    if (existsSync(p) && p.match(/\.tsx?$/)) return p;
  return undefined;
}

/** every node: module imported statically from `entries`, with the file that imports it; `seen` gets the files */
function staticNodeImports(entries: string[], seen = new Set<string>()): Map<string, string> {
  const found = new Map<string, string>();
  const queue = entries.map((e) => join(ROOT, e));
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const dynamicToo = DYNAMIC_FROM.some((d) => file === join(ROOT, d));
    for (const imp of transpiler.scanImports(readFileSync(file, "utf8"))) {
      const followed =
        imp.kind === "import-statement" ||
        (dynamicToo && imp.kind === "dynamic-import" && !NOT_ON_THE_PATH.some((n) => imp.path.startsWith(n)));
      if (!followed) continue;
      if (imp.path.startsWith(".")) {
        const next = resolveLocal(file, imp.path);
        if (next) queue.push(next);
        continue;
      }
      const name = imp.path.replace(/^node:/, "");
      if (FORBIDDEN.includes(name) && !found.has(name)) found.set(name, relative(ROOT, file));
    }
  }
  expect(seen.size).toBeGreaterThan(50); // the walk reached the daemon's modules
  return found;
}

const ENTRIES = [
  "src/main.ts",
  "src/cli.ts",
  "src/runtime/daemon.ts",
  "src/runtime/kernel-linux.ts",
  "src/config/load.ts",
  "src/runtime/log.ts",
];

test("the daemon's start imports no node:fs/net/stream/crypto/child_process/os module statically", () => {
  expect(Object.fromEntries(staticNodeImports(ENTRIES))).toEqual({});
});

test("no start-path module requires node:fs itself: only native-bindings/file.ts's nodeFs() does", () => {
  const seen = new Set<string>();
  staticNodeImports(ENTRIES, seen);
  const own = join(ROOT, "native-bindings/file.ts");
  expect(seen.has(own)).toBe(true); // the walk reaches the file module
  const requiring = [...seen]
    .filter((f) => f !== own)
    .filter((f) =>
      transpiler
        .scanImports(readFileSync(f, "utf8"))
        .some((i) => i.kind !== "import-statement" && (i.path === "node:fs" || i.path === "fs")),
    )
    .map((f) => relative(ROOT, f));
  expect(requiring).toEqual([]);
});

test("a plain VRRP start loads no D-Bus, metrics, BFD, IPVS, nftables or dump module", () => {
  const seen = new Set<string>();
  staticNodeImports(ENTRIES, seen);
  for (const f of FEATURES) expect(existsSync(join(ROOT, f))).toBe(true); // the list names real files
  expect(FEATURES.filter((f) => seen.has(join(ROOT, f)))).toEqual([]);
});

let dir: string | undefined;
afterEach(() => {
  nodeFsUse.trace = false;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

test("a daemon reaches its first advert without node:fs (an address owner, scripts checked, pid files, control socket)", async () => {
  dir = mkdtempSync(join(tmpdir(), "keel-start-fs-"));
  const file = join(dir, "keepalived.conf");
  // what a start reads and writes before the advert: the config and an include, pid files,
  // the control socket, the maintenance file (absent), a script's security check, the umask
  writeFileSync(join(dir, "vips.conf"), "    10.0.0.51/32\n");
  writeFileSync(
    file,
    `global_defs {
  router_id t
  enable_script_security
  script_user root
}
vrrp_script chk {
  script "/bin/true"
  interval 1
}
vrrp_instance VI_1 {
  state MASTER
  interface eth0
  virtual_router_id 51
  priority 255
  advert_int 1
  virtual_ipaddress {
    include ${join(dir, "vips.conf")}
  }
  track_script {
    chk
  }
  notify_master "/bin/true master"
}
`,
  );
  const umask = process.umask();
  const lines: string[] = [];
  let master: () => void = () => {};
  const reached = new Promise<void>((r) => {
    master = r;
  });
  const log = createLogger({
    write: (line) => {
      lines.push(line.trimEnd());
      // the first advert of an address owner leaves as it enters MASTER (RFC 5798 6.4.1)
      if (/\(VI_1\) Entering MASTER STATE/.test(line)) {
        nodeFsUse.trace = false;
        master();
      }
    },
  });
  nodeFsUse.trace = true;
  nodeFsUse.first = undefined;
  const before = nodeFsUse.calls;
  const r = loadConfig(file);
  expect(r.diagnostics.errorCount).toBe(0);
  const kernel = new TestKernel();
  const daemon = new Daemon({
    config: r.config,
    configFile: file,
    log,
    argv: ["keel", "-n", "-f", file],
    kernel,
    pidFile: join(dir, "keel.pid"),
    vrrpPidFile: join(dir, "keel-vrrp.pid"),
    controlSocket: join(dir, "keel.sock"),
    load: () => loadConfig(file),
  });
  try {
    expect(await daemon.start()).toBe(true);
    await reached;
    const calls = nodeFsUse.calls - before;
    expect(calls === 0 ? "" : `${calls} nodeFs() call(s), the first: ${nodeFsUse.first}`).toBe("");
    // the libc path did the work: the pid file holds our pid
    expect(readFileSync(join(dir, "keel.pid"), "utf8")).toBe(`${process.pid}\n`);
  } finally {
    daemon.stop("test end");
    await daemon.done;
    process.umask(umask);
  }
  expect(lines.some((l) => /Stopped/.test(l))).toBe(true);
});
