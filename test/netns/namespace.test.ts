/**
 * `-s NAME` / `net_namespace NAME` (keepalived core/namespaces.c): keel started in one
 * namespace (the lab's switch) runs VRRP in another (host h2): its VIP and adverts are
 * there, its pid files are where keepalived's are seen from outside
 * (/run/keepalived/NAME/), its control socket is /run/keel/NAME/keel.sock and its syslog
 * ident is keel_NAME. A reload that changes the namespace is refused, as keepalived's.
 */
import { existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { KEEL, Lab, ensureKeel, eventually, instance, masterFirst, sh } from "./harness";

const GLOBAL = "global_defs {\n  router_id ns\n}\n";

describe("keel -s NAME runs in that network namespace", () => {
  let lab: Lab;
  let ns: string;
  beforeAll(() => {
    ensureKeel();
    lab = Lab.create(["h1", "h2"]);
    ns = lab.ns("h2");
  });
  afterAll(() => {
    lab?.destroy();
    if (ns) for (const d of [`/run/keepalived/${ns}`, `/run/keel/${ns}`]) rmSync(d, { recursive: true, force: true });
  });

  test("VRRP, VIPs, pid files, control socket and syslog ident follow the namespace", async () => {
    const { listenDatagrams } = await import("../../native-bindings/unix-dgram");
    const logSock = `${lab.dir}/log.sock`;
    const sys = listenDatagrams(logSock);
    try {
      const conf = lab.file(
        "h2.conf",
        `${GLOBAL}net_namespace not-this-one\n${instance({ priority: 200, vips: ["10.99.0.100/32"] })}`,
      );
      // h2's keel is the master: started from the switch's namespace, entering h2's
      // (env execs keel: the pid is keel's)
      const { master: k } = await masterFirst(
        () =>
          lab.spawn("sw", [
            "env",
            `KEEL_SYSLOG_SOCKET=${logSock}`,
            `TMPDIR=${lab.tmpdir("h2")}`,
            KEEL,
            "-n",
            "-l",
            "-D",
            "-f",
            conf,
            "-s",
            ns,
          ]),
        () => lab.keel("h1", GLOBAL + instance({ priority: 100, vips: ["10.99.0.100/32"] })),
      );
      expect(k.text()).toContain(`Overriding config net_namespace 'not-this-one' with command line namespace '${ns}'`);
      expect(lab.hasAddr("h2", "10.99.0.100")).toBe(true);
      // -s is entered before the file is read: eth0 is checked in h2, where it exists
      expect(k.text()).not.toContain("does not exist");
      // its gratuitous ARPs leave from h2's eth0 (the MAC asked of the namespace, not of /sys)
      await k.waitFor(/Sending gratuitous ARP on eth0 for 10\.99\.0\.100/);
      expect(k.text()).not.toContain("cannot send gratuitous ARP");
      // nothing of it in the namespace it was started in
      expect(sh(["ip", "-n", lab.ns("sw"), "-o", "addr"])).not.toContain("10.99.0.100");
      // h1 hears h2's adverts on the wire, so it stays BACKUP
      await lab.keelOf("h1").waitFor(/\(VI_1\) Entering BACKUP STATE/);
      expect(lab.keelOf("h1").text()).not.toContain("Entering MASTER STATE");

      for (const f of ["keepalived.pid", "vrrp.pid"])
        expect(readFileSync(`/run/keepalived/${ns}/${f}`, "utf8").trim()).toBe(String(k.pid));
      const status = sh([KEEL, "status", "--json", "--control-socket", `/run/keel/${ns}/keel.sock`]);
      expect(JSON.parse(status).instances[0]).toMatchObject({ name: "VI_1", state: "MASTER" });

      const grams: string[] = [];
      await eventually(() => grams.push(...sys.receive()) >= 0 && grams.some((g) => g.includes("Entering MASTER")));
      expect(grams.find((g) => g.includes("Entering MASTER"))).toMatch(
        new RegExp(`keel_${ns}\\[${k.pid}\\]: \\(VI_1\\) Entering MASTER STATE`),
      );

      // -s still wins over the file at a reload; a new instance name is refused (keepalived
      // reload_config: "Cannot change instance name at a reload"), the running one stays
      const from = k.lines.length;
      lab.file("h2.conf", `${GLOBAL}net_namespace other\ninstance renamed\n${instance({ priority: 200 })}`);
      k.kill("SIGHUP");
      await k.waitFor(/Reload failed: Cannot change instance name at a reload/, undefined, from);
      expect(k.text()).not.toContain("Cannot change network namespace");
      expect(lab.hasAddr("h2", "10.99.0.100")).toBe(true);

      k.kill("SIGTERM");
      expect(await k.exited).toBe(0);
      for (const f of ["keepalived.pid", "vrrp.pid"]) expect(existsSync(`/run/keepalived/${ns}/${f}`)).toBe(false);
    } finally {
      sys.close();
    }
  });

  test("net_namespace_ipvs's mechanism: a socket opened in NAME, then back in the starting namespace", async () => {
    const { currentNetNamespaceId, inNetNamespace } = await import("../../native-bindings/netns");
    const { NetlinkSocket } = await import("../../native-bindings/netlink/socket");
    const home = currentNetNamespaceId();
    const target = `net:[${statSync(`/run/netns/${ns}`).ino}]`;
    expect(home).not.toBe(target);
    const inside = inNetNamespace(ns, () => ({ id: currentNetNamespaceId(), sock: NetlinkSocket.open() }));
    inside.sock.close();
    expect(inside.id).toBe(target);
    expect(currentNetNamespaceId()).toBe(home);
    // a throw inside still comes back
    expect(() =>
      inNetNamespace(ns, () => {
        throw new Error("inside");
      }),
    ).toThrow("inside");
    expect(currentNetNamespaceId()).toBe(home);
  });

  test("a namespace that does not exist: a clear error and exit 1", async () => {
    const conf = lab.file("missing.conf", `${GLOBAL}${instance({ priority: 100 })}`);
    const p = lab.spawn("sw", [KEEL, "-n", "-l", "-D", "-G", "-f", conf, "-s", `${lab.prefix}none`]);
    expect(await p.exited).toBe(1);
    expect(p.text()).toMatch(new RegExp(`Unable to set network namespace ${lab.prefix}none - .*ENOENT`));
    // eth0 is missing where it was started (sw), but the interfaces are not looked for
    // outside the namespace keel would run in: no unknown-interface line, no exit 2
    expect(p.text()).not.toContain("unknown-interface");
    expect(p.text()).not.toContain("Non-existent interface");
  });
});
