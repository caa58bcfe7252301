// `npm test` driver: runs every test layer in order and ends with the line
// "N passed, N failed" (the last line on stdout, so CI and humans read one place).
//
//   npm test               all layers
//   npm test -- unit sim   only the named layers
//
// A layer that cannot run (not root, a missing tool that apt cannot install) is a
// failure with a reason, never a silent skip: CI is root on Debian 12 and must run all.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dir, "..");
process.chdir(root);
const bin = (name: string) => join(root, "node_modules/.bin", name);

type Layer = {
  name: string;
  // A command layer counts as one test; a bun-test layer counts bun's own totals.
  cmd?: string[];
  dir?: string;
  ignore?: string; // glob of files under `dir` that belong to another layer
  root?: boolean; // needs root (namespaces, raw sockets, the VM runner)
  needs?: Record<string, string>; // Debian package → a command it provides
  needsFiles?: Record<string, string>; // Debian package → a file (glob) it installs
  build?: boolean; // runs the compiled dist/keel: build it first
  pooled?: boolean; // its files run from one queue shared with the other pooled layers (see `jobs`)
};

const layers: Layer[] = [
  // biome check: the linter and the formatter (a file that is not formatted fails)
  { name: "lint", cmd: [bin("biome"), "check", "."] },
  { name: "typecheck", cmd: [bin("tsc"), "--noEmit", "-p", "."] },
  { name: "unit", dir: "test/unit" },
  { name: "sim", dir: "test/sim" },
  // contrib/prometheus's alerting rules through promtool (check rules, test rules)
  { name: "contrib", dir: "test/contrib", needs: { prometheus: "promtool" } },
  {
    name: "netns",
    dir: "test/netns",
    root: true,
    build: true,
    pooled: true,
    needs: { iproute2: "ip", tshark: "tshark", tcpdump: "tcpdump", nftables: "nft", prometheus: "prometheus" },
  },
  {
    name: "interop",
    dir: "test/interop",
    root: true,
    build: true,
    pooled: true,
    needs: {
      keepalived: "keepalived",
      iproute2: "ip",
      tshark: "tshark",
      nftables: "nft",
      "iputils-ping": "ping",
      // snmp-keepalived.test.ts, snmp-rfc.test.ts: the AgentX master agent, the walkers, the trap receiver
      snmpd: "snmpd",
      snmp: "snmpwalk",
      snmptrapd: "snmptrapd",
      // dbus.test.ts: a private bus, the clients that ask both daemons, the signal monitor
      "dbus-daemon": "dbus-daemon",
      "dbus-bin": "dbus-send",
      systemd: "busctl",
      // reload-files.test.ts: the reload_file's creation and removal
      "inotify-tools": "inotifywait",
    },
  },
  {
    // keel -t against Debian's keepalived -t on test/fixtures/compat/corpus (test/compat/harness.ts)
    name: "compat",
    dir: "test/compat",
    root: true,
    build: true,
    needs: { keepalived: "keepalived", iproute2: "ip" },
  },
  {
    // test/vm/run-in-vm.sh boots Debian's kernel (it has IPVS) with busybox as init
    name: "vm",
    dir: "test/vm",
    ignore: "test/vm/guest/**",
    root: true,
    build: true,
    needs: {
      "qemu-system-x86": "qemu-system-x86_64",
      ipvsadm: "ipvsadm",
      "busybox-static": "busybox",
      cpio: "cpio",
      kmod: "modprobe",
      curl: "curl",
      iproute2: "ip",
      // test/vm/ifaces.test.ts's guest runs the host's keepalived and tshark (from its /usr)
      keepalived: "keepalived",
      tshark: "tshark",
      // lvs.test.ts's guest (snmp-checker.ts): the AgentX master, the walker/setter, the trap receiver
      snmpd: "snmpd",
      snmp: "snmpwalk",
      snmptrapd: "snmptrapd",
    },
    needsFiles: { "linux-image-amd64": "/boot/vmlinuz-*", "qemu-system-data": "/usr/share/qemu/qboot.rom" },
  },
  {
    // the release (packaging/release.ts, built by the tests): the arm64 binary under
    // qemu-user-static, lintian, SHA256SUMS and SBOMs, the amd64 .deb installed and purged in
    // a debootstrap root (cached in /var/cache/keel-test for a week: the first run fetches it).
    // An emulated start costs ~6 CPU-s (Bun's start under qemu): arm64.test.ts runs `keel -t`
    // only on the fixtures that together produce every diagnostic code
    name: "package",
    dir: "test/package",
    root: true,
    needs: {
      "qemu-user-static": "qemu-aarch64-static",
      lintian: "lintian",
      debootstrap: "debootstrap",
      "dpkg-dev": "dpkg-architecture",
      binutils: "readelf",
      tmux: "tmux",
      iproute2: "ip",
      zsh: "zsh",
    },
    needsFiles: {
      "libc6-arm64-cross": "/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1",
      "bash-completion": "/usr/share/bash-completion/bash_completion",
    },
  },
  // Ink against a fake stdout needs nothing; only the tmux end-to-end needs root + tmux (and nft: keel fleet's split brain).
  { name: "tui", dir: "test/tui", ignore: "test/tui/e2e/**" },
  {
    name: "tui-e2e",
    dir: "test/tui/e2e",
    root: true,
    build: true,
    pooled: true, // each file's tmux session and namespaces carry its process id
    needs: { tmux: "tmux", iproute2: "ip", nftables: "nft" },
  },
];

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !layers.some((l) => l.name === w));
if (unknown.length > 0) {
  console.error(`unknown layer(s): ${unknown.join(", ")}; known: ${layers.map((l) => l.name).join(", ")}`);
  process.exit(2);
}

const isRoot = process.getuid?.() === 0;
let aptUpdated = false;
let built = false;
let passed = 0;
let failed = 0;
const report: string[] = [];

function hasTests(layer: Layer): boolean {
  if (!layer.dir || !existsSync(layer.dir)) return false;
  const skip = layer.ignore ? new Bun.Glob(layer.ignore) : undefined;
  for (const f of new Bun.Glob("**/*.test.{ts,tsx}").scanSync(layer.dir)) {
    if (!skip?.match(join(layer.dir, f))) return true;
  }
  return false;
}

function run(cmd: string[], env?: Record<string, string>): number {
  return Bun.spawnSync(cmd, { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, ...env } }).exitCode;
}

// Returns why the layer cannot run, or undefined when everything it needs is here.
function ensureTools(layer: Layer): string | undefined {
  const hasFile = (pattern: string) => {
    const slash = pattern.lastIndexOf("/");
    const dir = pattern.slice(0, slash) || "/";
    if (!existsSync(dir)) return false; // the package that makes the folder is not installed yet
    return [...new Bun.Glob(pattern.slice(slash + 1)).scanSync({ cwd: dir, onlyFiles: true })].length > 0;
  };
  const missing = () => [
    ...Object.entries(layer.needs ?? {}).filter(([, cmd]) => !Bun.which(cmd)),
    ...Object.entries(layer.needsFiles ?? {}).filter(([, f]) => !hasFile(f)),
  ];
  let lack = missing();
  if (lack.length === 0) return undefined;
  const what = lack.map(([pkg, cmd]) => `${cmd} (Debian package ${pkg})`).join(", ");
  if (!isRoot) return `missing ${what}; not root, so cannot apt-get install them`;
  const apt = { DEBIAN_FRONTEND: "noninteractive" };
  // One `apt-get update` per run: it is slow and the index does not change in between.
  if (!aptUpdated) {
    aptUpdated = true;
    if (run(["apt-get", "update"], apt) !== 0) return `missing ${what}; apt-get update failed`;
  }
  const pkgs = lack.map(([pkg]) => pkg);
  if (run(["apt-get", "install", "-y", "--no-install-recommends", ...pkgs], apt) !== 0) {
    return `missing ${what}; apt-get install ${pkgs.join(" ")} failed`;
  }
  lack = missing();
  return lack.length > 0 ? `still missing ${lack.map(([, c]) => c).join(", ")} after apt-get install` : undefined;
}

/** Seconds each test file took, in the order run, for the timing summary at the end. */
const fileTimes: { file: string; s: number }[] = [];

/**
 * A file's time as bun reports it: from the last result of the file before (or the layer's
 * start) to its own last result line, so its beforeAll and first test count as its own
 * (bun names a file only with its first result). What an afterAll costs counts to the next.
 */
function fileTimer(start: number): { line: (line: string) => void; end: () => void } {
  let file: string | undefined;
  let from = start;
  let last = start;
  const done = () => {
    if (file) fileTimes.push({ file, s: (last - from) / 1000 });
  };
  return {
    line: (line) => {
      const head = line.match(/^(\S+\.test\.tsx?):$/);
      if (head) {
        done();
        file = head[1];
        from = last;
      } else if (/^\((pass|fail|skip|todo)\)/.test(line)) last = performance.now();
    },
    end: done,
  };
}

/**
 * How many `bun test` processes run the pooled layers' files at once (KEEL_TEST_JOBS,
 * default 3). Those files (netns, interop, tui-e2e) spend most of their time waiting on protocol
 * timers (advert intervals, Master_Down_Interval, keepalived's 1 s VRRPv2 adverts), not on
 * the CPU, so on two cores three at once finish far sooner than one after another. Each file
 * builds its own namespaces with a prefix of its own process (test/netns/harness.ts), so two
 * files never meet; every test waits for what proves a state, never for a fixed time, so a
 * neighbour that takes the CPU makes it slower, not wrong (that is checked under
 * `stress-ng --cpu 2`, bench/RESULTS.md "The suite's running time"). KEEL_TEST_JOBS=1 runs
 * each layer in one process with its output live, as before.
 */
const jobs = Math.max(1, Number(process.env.KEEL_TEST_JOBS ?? 3) || 1);

/**
 * The pooled files known to take longest, started first so that the queue does not end on
 * one long file while the other processes idle (longest-processing-time-first). Measured in
 * a quiet full run (the "slowest test files" list this script prints); a stale list costs
 * only balance, never a result.
 */
const LONG_FIRST = [
  "test/interop/pair.test.ts",
  "test/interop/three.test.ts",
  "test/interop/simulate-fidelity.test.ts",
  "test/interop/behaviour.test.ts",
  "test/netns/failover.test.ts",
  "test/netns/split-brain.test.ts",
  "test/netns/operations.test.ts",
  "test/netns/scripts.test.ts",
  "test/interop/split-brain.test.ts",
  "test/netns/features.test.ts",
];

function testFiles(layer: Layer): string[] {
  const skip = layer.ignore ? new Bun.Glob(layer.ignore) : undefined;
  return [...new Bun.Glob("**/*.test.{ts,tsx}").scanSync(layer.dir as string)]
    .map((f) => join(layer.dir as string, f))
    .filter((f) => !skip?.match(f))
    .sort();
}

/**
 * Runs the files of every pooled layer from one queue in `jobs` processes, one `bun test`
 * per file; each file's output is printed whole when it ends. Returns each layer's totals.
 */
async function runPool(pool: Layer[]): Promise<Map<string, { pass: number; fail: number }>> {
  const rank = (f: string) => {
    const i = LONG_FIRST.indexOf(f);
    return i < 0 ? LONG_FIRST.length : i;
  };
  const queue = pool
    .flatMap((layer) => testFiles(layer).map((file) => ({ layer: layer.name, file })))
    .sort((a, b) => rank(a.file) - rank(b.file));
  const totals = new Map(pool.map((l) => [l.name, { pass: 0, fail: 0 }]));
  const total = queue.length;
  let done = 0;
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const start = performance.now();
      const r = await bunTestRun([`./${next.file}`], undefined, false, false);
      const s = (performance.now() - start) / 1000;
      fileTimes.push({ file: next.file, s });
      const t = totals.get(next.layer) as { pass: number; fail: number };
      t.pass += r.pass;
      t.fail += r.fail;
      done++;
      console.log(`[${done}/${total}] ${next.file}: ${r.pass} passed, ${r.fail} failed in ${minutes(s)}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, total) }, worker));
  return totals;
}

// Runs `bun test` on the layer in one process, stderr (where bun prints results) echoed live.
function bunTest(layer: Layer): Promise<{ pass: number; fail: number }> {
  return bunTestRun([`./${layer.dir}`], layer.ignore, true, true);
}

async function bunTestRun(paths: string[], ignore: string | undefined, live: boolean, timeFiles: boolean) {
  // A test's timeout guards against a hang; it is never a speed assertion (those live in
  // bench/), so it is long enough for a loaded 2-core machine. Tests that set their own keep it.
  const args = [process.execPath, "test", ...paths, "--timeout=120000"];
  if (ignore) args.push(`--path-ignore-patterns=${ignore}`);
  const proc = Bun.spawn(args, { stdin: "ignore", stdout: "inherit", stderr: "pipe" });
  let text = "";
  const decoder = new TextDecoder();
  const timer = fileTimer(performance.now());
  let partial = "";
  for await (const chunk of proc.stderr) {
    if (live) process.stderr.write(chunk);
    const piece = decoder.decode(chunk, { stream: true });
    text += piece;
    const lines = (partial + piece).split("\n");
    partial = lines.pop() ?? "";
    for (const l of lines) timer.line(l);
  }
  timer.line(partial);
  if (timeFiles) timer.end();
  const code = await proc.exited;
  if (!live) process.stderr.write(text);
  const count = (word: string) => Number(text.match(new RegExp(`^ *(\\d+) ${word}$`, "m"))?.[1] ?? 0);
  const pass = count("pass");
  let fail = count("fail");
  // A crash outside any test (or no summary at all) must still fail the layer.
  if (code !== 0 && fail === 0) fail = 1;
  return { pass, fail };
}

const selected = layers.filter((l) => wanted.length === 0 || wanted.includes(l.name));
/** Totals of pooled layers already run together with the first of them (see runPool). */
const pooledDone = new Map<string, { pass: number; fail: number; took: string; with: string }>();

for (const layer of selected) {
  if (layer.dir && !hasTests(layer)) {
    report.push(`${layer.name}: no tests in ${layer.dir}/ yet`);
    continue;
  }
  const ran = pooledDone.get(layer.name);
  if (ran) {
    passed += ran.pass;
    failed += ran.fail;
    report.push(`${layer.name}: ${ran.pass} passed, ${ran.fail} failed in ${ran.took} (${ran.with})`);
    continue;
  }
  console.log(`\n=== ${layer.name} ===`);
  const layerStart = performance.now();
  const cpuStart = childCpu();
  const why = layer.root && !isRoot ? "needs root (run as root, as CI does)" : ensureTools(layer);
  let pass = 0;
  let fail = 0;
  if (why) {
    console.error(`${layer.name}: FAILED, cannot run: ${why}`);
    fail = 1;
  } else if (layer.build && !built && run([process.execPath, "build.ts"]) !== 0) {
    console.error(`${layer.name}: FAILED, cannot run: bun build.ts failed`);
    fail = 1;
  } else if (layer.cmd) {
    if (run(layer.cmd) === 0) pass = 1;
    else fail = 1;
  } else if (layer.pooled && jobs > 1) {
    if (layer.build) built = true;
    // The later pooled layers join this one's queue when they can run (tools, root).
    const pool = [layer];
    for (const other of selected) {
      if (other === layer || !other.pooled || !hasTests(other)) continue;
      const otherWhy = other.root && !isRoot ? "needs root (run as root, as CI does)" : ensureTools(other);
      if (!otherWhy) pool.push(other);
    }
    const names = pool.map((l) => l.name).join(" + ");
    console.log(`(${names}: ${jobs} files at a time, KEEL_TEST_JOBS)`);
    const totals = await runPool(pool);
    const took = `${minutes((performance.now() - layerStart) / 1000)}, CPU ${minutes(childCpu() - cpuStart)}`;
    for (const other of pool.slice(1)) {
      const t = totals.get(other.name) as { pass: number; fail: number };
      pooledDone.set(other.name, { ...t, took, with: `together with ${layer.name}` });
    }
    ({ pass, fail } = totals.get(layer.name) as { pass: number; fail: number });
  } else {
    if (layer.build) built = true;
    ({ pass, fail } = await bunTest(layer));
  }
  passed += pass;
  failed += fail;
  const took = `${minutes((performance.now() - layerStart) / 1000)}, CPU ${minutes(childCpu() - cpuStart)}`;
  report.push(`${layer.name}: ${pass} passed, ${fail} failed${why ? ` (${why})` : ""} in ${took}`);
}

/**
 * CPU seconds used so far by this script's finished children and their reaped descendants
 * (/proc/self/stat cutime + cstime): with the wall time it tells whether a layer waits on
 * timers (room for more files at once) or keeps the cores busy.
 */
function childCpu(): number {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[13]) + Number(f[14])) / 100; // fields 16, 17; USER_HZ is 100 on Linux
  } catch {
    return Number.NaN;
  }
}

function minutes(s: number): string {
  return s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

// where the time went: the slowest files (a layer's time is on its line below)
const slowest = [...fileTimes].sort((a, b) => b.s - a.s).slice(0, 15);
if (slowest.length > 0) {
  console.log("\nslowest test files:");
  for (const t of slowest) console.log(`  ${minutes(t.s).padStart(12)}  ${t.file}`);
}
console.log(`\n${report.join("\n")}`);
if (passed + failed === 0) console.error("no tests ran");
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed + failed === 0 ? 1 : 0);
