/**
 * native-bindings sockets on real interfaces: two namespaces joined by a veth pair
 * (created inside the first namespace, so the machine's own namespace is never
 * touched), each side a child process under `ip netns exec` running
 * fixtures/vrrp-sockets.ts, tcpdump capturing on the receiver and tshark decoding it.
 *
 *   <prefix>a: eth0 10.99.0.11/24 02:99:00:00:00:0b  <veth>  <prefix>b: eth0 10.99.0.12/24 02:99:00:00:00:0c
 *
 * Needs root, iproute2, tcpdump and tshark (test/run.ts installs them in CI).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { RX_AGE_MAX_MS } from "../../native-bindings/vrrp-socket";

const PREFIX = `kn${process.pid}-`;
const A = `${PREFIX}a`;
const B = `${PREFIX}b`;
const A_IP = "10.99.0.11";
const B_IP = "10.99.0.12";
const VIP4 = "10.99.0.100";
const VIP6 = "fd00:99::100";
const FIXTURE = join(import.meta.dir, "fixtures/vrrp-sockets.ts");
const dir = mkdtempSync(join(tmpdir(), PREFIX));
const children = new Set<Subprocess>();

function sh(cmd: string[], allowFail = false): string {
  const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0 && !allowFail)
    throw new Error(`${cmd.join(" ")} → exit ${r.exitCode}: ${r.stderr.toString().trim()}`);
  return r.stdout.toString();
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** IPv6 text → hex, to compare with the fixture's output. */
function ipv6Hex(text: string): string {
  const [head = "", tail = ""] = text.split("::");
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = text.includes("::") ? [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t] : h;
  return groups.map((g) => g.padStart(4, "0")).join("");
}

type Line = Record<string, unknown>;
/** A fixture running in a namespace; its stdout JSON lines as they arrive. */
class Child {
  readonly lines: Line[] = [];
  readonly proc: Subprocess<"ignore", "pipe", "pipe">;
  readonly exited: Promise<number>;
  private stderr = "";
  constructor(ns: string, args: string[]) {
    this.proc = Bun.spawn(["ip", "netns", "exec", ns, process.execPath, FIXTURE, ...args], {
      stdout: "pipe",
      stderr: "pipe",
    });
    children.add(this.proc);
    this.exited = this.proc.exited.then((c) => {
      children.delete(this.proc);
      return c;
    });
    void this.read();
    void new Response(this.proc.stderr).text().then((t) => {
      this.stderr = t;
    });
  }
  private async read(): Promise<void> {
    const dec = new TextDecoder();
    let buf = "";
    for await (const chunk of this.proc.stdout) {
      buf += dec.decode(chunk, { stream: true });
      let i = buf.indexOf("\n");
      while (i >= 0) {
        this.lines.push(JSON.parse(buf.slice(0, i)) as Line);
        buf = buf.slice(i + 1);
        i = buf.indexOf("\n");
      }
    }
  }
  async waitFor(pred: (l: Line) => boolean, ms = 5000): Promise<Line> {
    const end = performance.now() + ms;
    for (;;) {
      const l = this.lines.find(pred);
      if (l) return l;
      if (performance.now() > end)
        throw new Error(`timed out; lines: ${JSON.stringify(this.lines)}; stderr: ${this.stderr}`);
      await sleep(10);
    }
  }
  /** Run to completion; throws with stderr on a non-zero exit. */
  async done(): Promise<Line[]> {
    const code = await this.exited;
    await sleep(20); // let the stdout reader finish
    if (code !== 0) throw new Error(`fixture exited ${code}: ${this.stderr}`);
    return this.lines;
  }
}

/**
 * Capture `packets` frames matching `filter` on `ns`'s eth0 while `fn` runs; returns the
 * pcap file. tcpdump says "listening on" only once its filter is set (libpcap drains the
 * socket when it sets one: a frame sent before that is gone), writes each frame as it
 * comes (--immediate-mode -U) and exits after `packets` of them (-c): the start and the
 * end are what the test waits for, not sleeps. dumpcap's "Capturing on" came before its
 * socket captured, and its SIGTERM dropped the ring block it had not read: an empty file
 * whenever the send came quickly. Given up 5 s after `fn` (the assertion then shows what
 * the file holds).
 */
async function capture(
  ns: string,
  name: string,
  filter: string,
  fn: () => Promise<void>,
  packets = 1,
): Promise<string> {
  const file = join(dir, `${name}.pcap`);
  const args = ["tcpdump", "-n", "-i", "eth0", "--immediate-mode", "-U", "-c", String(packets), "-w", file, filter];
  const p = Bun.spawn(["ip", "netns", "exec", ns, ...args], { stdout: "ignore", stderr: "pipe" });
  children.add(p);
  try {
    const reader = p.stderr.getReader();
    const dec = new TextDecoder();
    let err = "";
    while (!err.includes("listening on")) {
      const r = await Promise.race([
        reader.read(),
        sleep(5000).then(() => ({ done: true as const, value: undefined })),
      ]);
      if (r.done) throw new Error(`tcpdump did not start: ${err}`);
      err += dec.decode(r.value);
    }
    reader.releaseLock();
    await fn();
    await Promise.race([p.exited, sleep(5000)]);
  } finally {
    p.kill("SIGTERM");
    await p.exited;
    children.delete(p);
  }
  return file;
}

/** tshark's fields for every packet matching `display`, one array per packet. */
function tshark(file: string, display: string, fields: string[]): string[][] {
  const out = sh([
    "tshark",
    "-r",
    file,
    "-Y",
    display,
    "-T",
    "fields",
    "-E",
    "separator=|",
    ...fields.flatMap((f) => ["-e", f]),
  ]);
  return out
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => l.split("|"));
}

function linkLocal(ns: string): string {
  const j = JSON.parse(sh(["ip", "-n", ns, "-j", "-6", "addr", "show", "dev", "eth0", "scope", "link"])) as {
    addr_info: { local: string; tentative?: boolean }[];
  }[];
  return j[0]?.addr_info.find((x) => !x.tentative)?.local ?? "";
}

function ifindexOf(ns: string): number {
  return (JSON.parse(sh(["ip", "-n", ns, "-j", "link", "show", "eth0"])) as { ifindex: number }[])[0]!.ifindex;
}

let aLinkLocal = "";
let bLinkLocal = "";
let bIfindex = 0;

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error("needs root (network namespaces, raw sockets)");
  for (const tool of ["ip", "tcpdump", "tshark"]) if (!Bun.which(tool)) throw new Error(`needs ${tool}`);
  for (const ns of [A, B]) {
    sh(["ip", "netns", "add", ns]);
    // no DAD: the link-local is usable (not tentative) the moment the link is up
    sh([
      "ip",
      "netns",
      "exec",
      ns,
      "sysctl",
      "-qw",
      "net.ipv6.conf.all.accept_dad=0",
      "net.ipv6.conf.default.accept_dad=0",
    ]);
    sh(["ip", "-n", ns, "link", "set", "lo", "up"]);
  }
  sh(["ip", "-n", A, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", B]);
  sh(["ip", "-n", A, "link", "set", "eth0", "address", "02:99:00:00:00:0b"]);
  sh(["ip", "-n", B, "link", "set", "eth0", "address", "02:99:00:00:00:0c"]);
  sh(["ip", "-n", A, "addr", "add", `${A_IP}/24`, "dev", "eth0"]);
  sh(["ip", "-n", B, "addr", "add", `${B_IP}/24`, "dev", "eth0"]);
  for (const ns of [A, B]) sh(["ip", "-n", ns, "link", "set", "eth0", "up"]);
  for (let i = 0; i < 200 && !(aLinkLocal && bLinkLocal); i++) {
    await sleep(20);
    aLinkLocal = linkLocal(A);
    bLinkLocal = linkLocal(B);
  }
  if (!aLinkLocal || !bLinkLocal) throw new Error("no IPv6 link-local address on the veths");
  bIfindex = ifindexOf(B);
}, 60_000);

afterAll(async () => {
  for (const c of children) c.kill("SIGKILL");
  await Promise.all([...children].map((c) => c.exited));
  for (const ns of [A, B]) sh(["ip", "netns", "del", ns], true);
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

type Rx = {
  family: number;
  ifindex: number;
  data: string;
  src?: string;
  dst?: string;
  hopLimit?: number;
  age?: number;
};
/** the kernel's receive stamp (SO_TIMESTAMPNS) made an age: from the advert's arrival to its read */
function expectAge(r: Rx): void {
  expect(typeof r.age).toBe("number");
  expect(r.age!).toBeGreaterThanOrEqual(0);
  expect(r.age!).toBeLessThanOrEqual(RX_AGE_MAX_MS);
}
const rxOf = (lines: Line[]) => lines.filter((l) => l.rx).map((l) => l.rx as Rx);
const sentOf = (lines: Line[]) => (lines.find((l) => "sent" in l)?.data as string[] | undefined) ?? [];

describe("VRRP raw sockets between two namespaces", () => {
  test("(a)+(e) IPv4 multicast: advertPackets → send on A → drain on B with ifindex, TTL 255, same bytes; tshark decodes VRRPv3", async () => {
    const rx = new Child(B, ["recv", "4", "eth0", "224.0.0.18", "1", "5000"]);
    const first = await rx.waitFor((l) => "empty" in l);
    // (e) the fresh socket has nothing: drain returns 0 at once, without blocking
    expect(first.empty).toBe(0);
    expect(first.emptyMs as number).toBeLessThan(50);
    await rx.waitFor((l) => l.ready === true);
    let sent: string[] = [];
    const pcap = await capture(B, "v4-multicast", "ip proto 112", async () => {
      sent = sentOf(await new Child(A, ["send", "4", "eth0", A_IP, "224.0.0.18", "3"]).done());
    });
    const got = rxOf(await rx.done());
    expect(got.length).toBe(1);
    expect(got[0]!.family).toBe(4);
    expect(got[0]!.ifindex).toBe(bIfindex);
    const bytes = Buffer.from(got[0]!.data, "hex");
    expect(bytes[8]).toBe(255); // TTL (RFC 5798 5.1.1.3)
    expect(bytes[9]).toBe(112);
    expect(got[0]!.data).toBe(sent[0]!); // the IP header as keel built it (IP_HDRINCL)
    expectAge(got[0]!);
    expect(
      tshark(pcap, "vrrp", [
        "ip.src",
        "ip.dst",
        "ip.ttl",
        "ip.dsfield",
        "vrrp.version",
        "vrrp.virt_rtr_id",
        "vrrp.prio",
        "vrrp.checksum.status",
        "vrrp.ip_addr",
      ]),
    ).toEqual([[A_IP, "224.0.0.18", "255", "0xc0", "3", "51", "150", "1", VIP4]]);
  }, 60_000);

  test("(b) IPv6 multicast to ff02::12: hop limit 255, source = A's link-local, pktinfo ifindex and destination; tshark decodes VRRPv3 with a good checksum", async () => {
    const rx = new Child(B, ["recv", "6", "eth0", "ff02::12", "1", "5000"]);
    await rx.waitFor((l) => l.ready === true);
    let sent: string[] = [];
    const pcap = await capture(B, "v6-multicast", "ip6 proto 112", async () => {
      sent = sentOf(await new Child(A, ["send", "6", "eth0", aLinkLocal, "ff02::12", "3"]).done());
    });
    const got = rxOf(await rx.done());
    expect(got.length).toBe(1);
    const r = got[0]!;
    expect(r.family).toBe(6);
    expect(r.ifindex).toBe(bIfindex);
    expect(r.hopLimit).toBe(255);
    expectAge(r);
    expect(r.src).toBe(ipv6Hex(aLinkLocal));
    expect(r.dst).toBe(ipv6Hex("ff02::12"));
    // the VRRP message only; the kernel wrote the checksum (IPV6_CHECKSUM 6) and it equals keel's
    expect(r.data).toBe(sent[0]!);
    expect(
      tshark(pcap, "vrrp", [
        "ipv6.src",
        "ipv6.dst",
        "ipv6.hlim",
        "ipv6.tclass",
        "vrrp.version",
        "vrrp.virt_rtr_id",
        "vrrp.prio",
        "vrrp.checksum.status",
        "vrrp.ipv6_addr",
      ]),
    ).toEqual([[aLinkLocal, "ff02::12", "255", "0x000000c0", "3", "51", "150", "1", VIP6]]);
  }, 60_000);

  test("(c) gratuitous ARP and unsolicited NA from A, seen on B and decoded by tshark; the frames built ahead, each sent twice", async () => {
    let sent: Line = {};
    // the four frames alone: GARP twice and the NA (ICMPv6 type 136) twice, not B's own ND and MLD
    const pcap = await capture(
      B,
      "garp",
      "arp or (icmp6 and ip6[40] == 136)",
      async () => {
        sent = (await new Child(A, ["garp", "eth0", VIP4, VIP6]).done()).find((l) => "sent" in l)!;
      },
      4,
    );
    expect(sent.mac).toBe("02990000000b");
    expect(
      tshark(pcap, "arp", [
        "eth.dst",
        "arp.opcode",
        "arp.isgratuitous",
        "arp.src.hw_mac",
        "arp.src.proto_ipv4",
        "arp.dst.hw_mac",
        "arp.dst.proto_ipv4",
      ]),
    ).toEqual(Array(2).fill(["ff:ff:ff:ff:ff:ff", "1", "1", "02:99:00:00:00:0b", VIP4, "ff:ff:ff:ff:ff:ff", VIP4]));
    // flags r, s, o: Override only (the namespace does not forward IPv6)
    expect(
      tshark(pcap, "icmpv6.type == 136", [
        "eth.dst",
        "ipv6.src",
        "ipv6.dst",
        "ipv6.hlim",
        "icmpv6.checksum.status",
        "icmpv6.nd.na.flag.r",
        "icmpv6.nd.na.flag.s",
        "icmpv6.nd.na.flag.o",
        "icmpv6.nd.na.target_address",
        "icmpv6.opt.linkaddr",
      ]),
    ).toEqual(
      Array(2).fill(["33:33:00:00:00:01", VIP6, "ff02::1", "255", "1", "0", "0", "1", VIP6, "02:99:00:00:00:0b"]),
    );
  }, 60_000);

  test("(d) IPv4 unicast to the peer: a socket bound to its unicast source receives it; TTL 255; tshark decodes VRRPv2", async () => {
    const rx = new Child(B, ["recv", "4", "eth0", "-", "1", "5000", B_IP]);
    await rx.waitFor((l) => l.ready === true);
    let sent: string[] = [];
    const pcap = await capture(B, "v4-unicast", "ip proto 112", async () => {
      sent = sentOf(await new Child(A, ["send", "4", "eth0", A_IP, B_IP, "2", A_IP]).done());
    });
    const got = rxOf(await rx.done());
    expect(got.length).toBe(1);
    expect(got[0]!.ifindex).toBe(bIfindex);
    expect(got[0]!.data).toBe(sent[0]!);
    expect(
      tshark(pcap, "vrrp", [
        "ip.src",
        "ip.dst",
        "ip.ttl",
        "vrrp.version",
        "vrrp.virt_rtr_id",
        "vrrp.checksum.status",
        "vrrp.auth_type",
        "vrrp.auth_string",
        "vrrp.ip_addr",
      ]),
    ).toEqual([[A_IP, B_IP, "255", "2", "51", "1", "1", "s3cret", VIP4]]);
  }, 60_000);

  test("(d) IPv6 unicast between link-locals, sender bound to its source: hop limit 255 (IPV6_UNICAST_HOPS)", async () => {
    const rx = new Child(B, ["recv", "6", "eth0", "-", "1", "5000"]);
    await rx.waitFor((l) => l.ready === true);
    await new Child(A, ["send", "6", "eth0", aLinkLocal, bLinkLocal, "3", aLinkLocal]).done();
    const got = rxOf(await rx.done());
    expect(got.length).toBe(1);
    expect(got[0]!.hopLimit).toBe(255);
    expect(got[0]!.src).toBe(ipv6Hex(aLinkLocal));
    expect(got[0]!.dst).toBe(ipv6Hex(bLinkLocal));
  }, 60_000);

  test("latency: send on A → SIGIO watchReadable callback on B, 200 packets 2 ms apart (printed, not asserted)", async () => {
    const N = 200;
    const rx = new Child(B, ["recv", "4", "eth0", "224.0.0.18", String(N), "20000"]);
    await rx.waitFor((l) => l.ready === true);
    await new Child(A, ["latency", "4", "eth0", A_IP, "224.0.0.18", String(N), "2"]).done();
    const us = (await rx.done())
      .filter((l) => typeof l.latencyUs === "number")
      .map((l) => l.latencyUs as number)
      .sort((x, y) => x - y);
    expect(us.length).toBe(N);
    const q = (p: number) => us[Math.min(us.length - 1, Math.floor(p * us.length))]!.toFixed(1);
    console.log(
      `send → SIGIO callback over ${us.length} packets: p50 ${q(0.5)} µs, p90 ${q(0.9)} µs, p99 ${q(0.99)} µs, max ${q(1)} µs`,
    );
  }, 30000);
});
