// The generated keepalived.conf: what every demo router runs.
import { describe, expect, test } from "bun:test";
import { parseConf } from "../../../src/config/parse";
import { memorySource } from "../../../src/config/source";
import { hostIp, masterDownMs, pickNet, routerConf, vipOf } from "../../../src/demo/config";

describe("demo config", () => {
  const net = pickNet(() => 0.5);
  const text = routerConf({ net, router: "r2", priority: 100, flagFile: "/tmp/x/r2.fail" });
  const parsed = parseConf("/demo/r2.conf", {
    source: memorySource({ "/demo/r2.conf": text }),
    host: { interfaceExists: () => true },
    configId: "r2",
  });

  test("parses without a diagnostic", () => {
    expect(parsed.diagnostics.items.map((d) => d.message)).toEqual([]);
  });

  test("one VRRPv3 instance with the VIP, tracking the flag-file script", () => {
    expect(net.base).toBe("10.213.128");
    expect(vipOf(net)).toBe("10.213.128.100");
    expect(hostIp(net, "web2")).toBe("10.213.128.22");
    const vi = parsed.config.vrrpInstances.VI_DEMO;
    expect(vi?.priority).toBe(100);
    expect(vi?.version).toBe(3);
    expect(vi?.virtualIpaddress.map((v) => `${v.address}/${v.prefix}`)).toEqual(["10.213.128.100/24"]);
    expect(vi?.trackScripts.map((t) => t.name)).toEqual(["chk_demo"]);
    const s = parsed.config.vrrpScripts.chk_demo;
    expect(s?.script?.command).toBe("/usr/bin/test ! -e /tmp/x/r2.fail");
    expect(s?.weight).toBe(-60);
  });

  test("a virtual_server on VIP:80 over both web servers with HTTP_GET", () => {
    const vs = parsed.config.virtualServers;
    expect(vs.length).toBe(1);
    const j = JSON.stringify(vs[0]);
    expect(j).toContain("10.213.128.100");
    expect(j).toContain("10.213.128.21");
    expect(j).toContain("10.213.128.22");
    expect(j).toContain("HTTP_GET");
  });

  test("Master_Down_Interval (v3)", () => {
    expect(masterDownMs(100)).toBeCloseTo(3000 + (156 * 1000) / 256);
  });
});
