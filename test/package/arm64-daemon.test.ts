/**
 * The arm64 daemon under qemu-user-static, in a namespace of its own (test/netns's Lab):
 * rtnetlink (reading the link and address tables, installing a static_ipaddress), the
 * control socket (read by the x64 `keel status`), pid files, the O_ASYNC + F_SETOWN
 * readiness of the signal pipe and the aarch64 machine code of its handler
 * (native-bindings/signal-handler-code.ts: keepalived's JSON signal), and a clean SIGTERM.
 *
 * No VRRP instance: Debian 12's qemu-user (7.2) does not emulate the IP_MULTICAST_ALL and
 * IPV6_MULTICAST_ALL socket options, which keel sets on every VRRP socket as keepalived
 * does (vrrp_if.c if_setsockopt_mcast_all, closing the socket when it fails), so raw VRRP
 * sockets cannot be opened under this emulator; they are the same calls with the same
 * LP64 layouts as on x64 (DESIGN.md, "Packaging and release").
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Lab, type Proc, eventually } from "../netns/harness";
import { ARM64_ENV, KEEL_ARM64, KEEL_X64, ensureRelease, run } from "./release";

let lab: Lab;
let a64: Proc | undefined;

beforeAll(() => {
  ensureRelease();
  lab = Lab.create(["h1"]);
}, 600_000);
afterAll(() => {
  a64?.kill("SIGKILL");
  lab?.destroy();
});

test("arm64 keel starts, installs a static address over rtnetlink, answers status and the JSON signal, stops on SIGTERM", async () => {
  const conf = lab.file("h1.conf", "static_ipaddress {\n  10.99.0.200/32 dev eth0\n}\n");
  const tmp = lab.tmpdir("h1");
  const sock = `${tmp}/keel.sock`;
  a64 = lab.spawn("h1", [
    "env",
    `QEMU_LD_PREFIX=${ARM64_ENV.QEMU_LD_PREFIX}`,
    `TMPDIR=${tmp}`,
    "qemu-aarch64-static",
    KEEL_ARM64,
    "-n",
    "-l",
    "-D",
    "-G",
    "-f",
    conf,
    "-p",
    `${tmp}/keel.pid`,
    "-r",
    `${tmp}/keel-vrrp.pid`,
    "-c",
    `${tmp}/keel-checkers.pid`,
    "--control-socket",
    sock,
  ]);
  await a64.waitFor(/Startup complete/, 180_000); // emulated start-up takes seconds
  expect(a64.text()).not.toMatch(/not available|error/i);
  await eventually(() => lab.addrs("h1").includes("10.99.0.200/32"), 30_000);
  expect(readFileSync(`${tmp}/keel.pid`, "utf8").trim()).toMatch(/^\d+$/);

  const st = await run([KEEL_X64, "status", "--json", "--control-socket", sock]);
  expect(st.code).toBe(0);
  expect(JSON.parse(st.stdout).instances).toEqual([]);

  // keepalived's JSON signal is SIGRTMIN+2, 36 for glibc (`keel --signum=JSON`). qemu-user
  // keeps the host's first two real-time signals for the host glibc and maps the guest's
  // signal 32+n to host SIGRTMIN+n: the guest's 36 arrives when the host sends 38.
  a64.kill(38);
  const json = join(tmp, "keepalived.json");
  await eventually(() => existsSync(json), 60_000);
  expect(JSON.parse(readFileSync(json, "utf8"))).toEqual([]);

  a64.kill("SIGTERM");
  expect(await a64.exited).toBe(0);
  a64 = undefined;
  expect(existsSync(`${tmp}/keel.pid`)).toBe(false);
  expect(existsSync(sock)).toBe(false);
}, 600_000);
