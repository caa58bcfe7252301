/**
 * The health checkers in a running daemon, in namespaces: an LVS virtual server on the
 * VRRP master with two web servers checked by HTTP_GET (digest) and TCP_CHECK. The
 * checker process reports through the control socket; a server that stops is taken out
 * within delay_loop + retries, and comes back when it returns. On a kernel without IPVS
 * (this machine's) keel logs one clear error for the LVS part and VRRP runs on; the VM
 * layer (test/vm) checks the IPVS table itself.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect } from "../../src/control/client";
import type { Event, Status } from "../../src/control/protocol";
import { HOOK_TIMEOUT_MS, Lab, type Proc, ensureKeel, eventually, instance } from "./harness";

const BUN = process.execPath;
const WEB = join(import.meta.dir, "fixtures/web.ts");
const BODY = "hello from keel test\n";
const DIGEST = createHash("md5").update(BODY).digest("hex");

describe("checkers in the daemon", () => {
  let lab: Lab;
  let k: Proc;
  let sock: string;
  let webs: Proc[];
  const status = async (): Promise<Status> => {
    const c = await connect(sock);
    const r = await c.request({ cmd: "status" });
    c.close();
    if (!r.ok) throw new Error(JSON.stringify(r));
    return r.result as Status;
  };
  const startWeb = (host: string) => lab.spawn(host, [BUN, WEB, "80", BODY, host]);

  beforeAll(async () => {
    ensureKeel();
    lab = Lab.create(["lb", "web1", "web2"]);
    webs = [startWeb("web1"), startWeb("web2")];
    await Promise.all(webs.map((w) => w.waitFor(/listening/)));
    const conf = `global_defs {
  router_id lb
}
${instance({ priority: 150 })}
virtual_server 10.99.0.100 80 {
  delay_loop 1
  lb_algo wrr
  lb_kind DR
  protocol TCP
  quorum 1
  real_server ${lab.ip("web1")} 80 {
    weight 2
    HTTP_GET {
      url {
        path /
        digest ${DIGEST}
      }
      connect_timeout 1
      retry 1
      delay_before_retry 1
    }
  }
  real_server ${lab.ip("web2")} 80 {
    weight 1
    TCP_CHECK {
      connect_timeout 1
      retry 1
      delay_before_retry 1
    }
  }
}
`;
    k = lab.keel("lb", conf);
    sock = `${lab.tmpdir("lb")}/keel-0.sock`;
    await k.waitFor(/\(VI_1\) Entering MASTER STATE/, 10_000);
  }, HOOK_TIMEOUT_MS);
  afterAll(() => lab?.destroy());

  test("both real servers come up; IPVS missing is one clear error and VRRP runs on", async () => {
    await k
      .waitFor(/HTTP status code success to|Remote Web server .* succeed|MD5 digest success/, 8_000)
      .catch(() => undefined);
    // every checker has reported once (status snapshots come at most 4 times a second)
    const st = await eventually(
      async () => {
        const s = await status();
        return !s.virtualServers?.[0]?.realServers.some((r) => r.checkers.some((c) => c.lastCheck === undefined)) && s;
      },
      15_000,
      200,
    );
    const vs = st.virtualServers?.[0];
    expect(vs).toMatchObject({
      name: "10.99.0.100:80/TCP",
      scheduler: "wrr",
      method: "DR",
      quorumUp: true,
      aliveWeight: 3,
    });
    expect(vs?.realServers.map((r) => [r.address, r.up, r.weight, r.checkers[0]?.type, r.checkers[0]?.up])).toEqual([
      [`${lab.ip("web1")}:80`, true, 2, "HTTP_GET", true],
      [`${lab.ip("web2")}:80`, true, 1, "TCP_CHECK", true],
    ]);
    expect(vs?.realServers[0]?.checkers[0]?.latencyMs).toBeGreaterThan(0);
    const ipvs = existsSync("/proc/net/ip_vs");
    expect(st.lvs?.available).toBe(ipvs);
    const errors = k.lines.filter((l) => /IPVS: .*not available/i.test(l.text));
    expect(errors).toHaveLength(ipvs ? 0 : 1);
    expect(st.instances[0]?.state).toBe("MASTER");
  }, 30_000);

  test("a stopped server is removed within delay_loop + retries and returns when it is back", async () => {
    const c = await connect(sock);
    const events: { t: number; e: Event }[] = [];
    c.onEvent((e) => events.push({ t: performance.now(), e }));
    await c.request({ cmd: "subscribe" });
    const from = k.lines.length;
    const t0 = performance.now();
    webs[1]?.kill("SIGKILL");
    await k.waitFor(/TCP_CHECK on service \[10\.99\.0\.13\]:tcp:80 failed after 1 retries\./, 8_000, from);
    const removed = await k.waitFor(
      /Removing service \[10\.99\.0\.13\]:tcp:80 from VS \[10\.99\.0\.100\]:tcp:80/,
      5_000,
      from,
    );
    // delay_loop 1 + delay_before_retry 1 + a refused connect each: about 2 s, never more than 3 + 1
    expect(removed.t - t0).toBeLessThan(4_000);
    expect(removed.t - t0).toBeGreaterThan(900);
    await eventually(() => events.some((x) => x.e.event === "real-server"), 10_000);
    expect(events.map((x) => x.e).find((e) => e.event === "real-server")).toMatchObject({
      realServer: "10.99.0.13:80",
      up: false,
    });
    // status snapshots come from the checker process at most 4 times a second
    const st = await eventually(
      async () => {
        const s = await status();
        return s.virtualServers?.[0]?.aliveWeight === 2 && s;
      },
      10_000,
      100,
    );
    expect(st.virtualServers?.[0]).toMatchObject({ aliveWeight: 2, quorumUp: true });
    expect(st.virtualServers?.[0]?.realServers[1]?.up).toBe(false);
    expect(st.virtualServers?.[0]?.realServers[1]?.liveWeight).toBeUndefined();

    const back = k.lines.length;
    webs[1] = startWeb("web2");
    await webs[1].waitFor(/listening/);
    await k.waitFor(/TCP connection to \[10\.99\.0\.13\]:tcp:80 success\./, 5_000, back);
    await k.waitFor(/Adding service \[10\.99\.0\.13\]:tcp:80 to VS \[10\.99\.0\.100\]:tcp:80/, 5_000, back);
    c.close();
  }, 30_000);

  test("a wrong page fails HTTP_GET's digest; SIGTERM stops the checker process too", async () => {
    const from = k.lines.length;
    webs[0]?.kill("SIGKILL");
    webs[0] = lab.spawn("web1", [BUN, WEB, "80", "changed page\n", "web1"]);
    await webs[0].waitFor(/listening/);
    await k.waitFor(/HTTP_CHECK on service \[10\.99\.0\.12\]:tcp:80 failed/, 8_000, from);
    await k.waitFor(/Removing service \[10\.99\.0\.12\]:tcp:80 from VS/, 5_000, from);
    k.kill("SIGTERM");
    expect(await k.exited).toBe(0);
    await k.waitFor(/Stopped Healthcheck child process/, 3_000);
    // no checker process left behind
    const left = Bun.spawnSync(["pgrep", "-f", `${lab.tmpdir("lb")}`])
      .stdout.toString()
      .trim();
    expect(left).toBe("");
  }, 30_000);
});
