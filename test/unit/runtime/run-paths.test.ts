// Pid files, control socket and syslog ident per namespace and instance, as keepalived
// names them (core/main.c, pidfile.c make_pidfile_name, namespaces.c set_run_mount).
import { describe, expect, test } from "bun:test";
import { createConfig } from "../../../src/config/model";
import { plannedRun, unsupportedReloadChanges } from "../../../src/runtime/namespace-start";
import { runPaths, validNamespaceName } from "../../../src/runtime/run-paths";

describe("runPaths", () => {
  test("none of net_namespace, instance, use_pid_dir: keepalived's /run defaults", () => {
    expect(runPaths({})).toEqual({
      pidFile: "/run/keepalived.pid",
      vrrpPidFile: "/run/keepalived_vrrp.pid",
      checkersPidFile: "/run/keepalived_checkers.pid",
      bfdPidFile: "/run/keepalived_bfd.pid",
      controlSocket: "/run/keel/keel.sock",
      ident: "keel",
    });
  });
  test("use_pid_dir: /run/keepalived/", () => {
    expect(runPaths({ usePidDir: true })).toMatchObject({
      pidFile: "/run/keepalived/keepalived.pid",
      vrrpPidFile: "/run/keepalived/vrrp.pid",
      checkersPidFile: "/run/keepalived/checkers.pid",
      bfdPidFile: "/run/keepalived/bfd.pid",
      pidDir: "/run/keepalived",
      ident: "keel",
    });
  });
  test("instance NAME: _NAME before .pid and in the ident", () => {
    expect(runPaths({ instance: "a" })).toMatchObject({
      pidFile: "/run/keepalived/keepalived_a.pid",
      vrrpPidFile: "/run/keepalived/vrrp_a.pid",
      ident: "keel_a",
    });
  });
  test("net_namespace NS (and instance): /run/keepalived/NS/, keel_NS_INSTANCE, /run/keel/NS/keel.sock", () => {
    expect(runPaths({ netNamespace: "blue", instance: "a" })).toEqual({
      pidFile: "/run/keepalived/blue/keepalived_a.pid",
      vrrpPidFile: "/run/keepalived/blue/vrrp_a.pid",
      checkersPidFile: "/run/keepalived/blue/checkers_a.pid",
      bfdPidFile: "/run/keepalived/blue/bfd_a.pid",
      controlSocket: "/run/keel/blue/keel.sock",
      pidDir: "/run/keepalived/blue",
      ident: "keel_blue_a",
    });
  });
  test("names that are not one path component are refused", () => {
    for (const bad of ["", ".", "..", "a/b", "../x"]) expect(validNamespaceName(bad)).toBe(false);
    expect(validNamespaceName("blue-1")).toBe(true);
  });
});

describe("namespace at start and reload", () => {
  const cfg = (ns?: string, instance?: string) => ({ ...createConfig(), netNamespace: ns, instance });
  test("-s overrides net_namespace", () => {
    expect(plannedRun(cfg("file"), "cli").netNamespace).toBe("cli");
    expect(plannedRun(cfg("file"), undefined).netNamespace).toBe("file");
  });
  test("a reload may not change the namespace or the instance name, unless -s fixes the namespace", () => {
    expect(unsupportedReloadChanges(cfg("a"), cfg("b"), undefined)).toEqual([
      "Cannot change network namespace at a reload - please restart keel",
    ]);
    expect(unsupportedReloadChanges(cfg("a"), cfg("b"), "c")).toEqual([]);
    expect(unsupportedReloadChanges(cfg("a"), cfg("a", "x"), undefined)).toEqual([
      "Cannot change instance name at a reload - please restart keel",
    ]);
    expect(unsupportedReloadChanges(cfg(), { ...cfg(), netNamespaceIpvs: "" }, undefined)).toEqual([
      "Cannot change IPVS network namespace at a reload - please restart keel",
    ]);
    // main.c reload_config: nftables_ipvs's table, added, renamed or removed
    const ipvsTable = (t?: string) => {
      const c = cfg();
      return { ...c, globalDefs: { ...c.globalDefs, nftablesIpvs: t } };
    };
    for (const [a, b] of [
      [undefined, "keepalived_ipvs"],
      ["keepalived_ipvs", "x"],
      ["x", undefined],
    ] as const)
      expect(unsupportedReloadChanges(ipvsTable(a), ipvsTable(b), undefined)).toEqual([
        "Cannot change IPVS nftables table name at a reload - please restart keel",
      ]);
    expect(unsupportedReloadChanges(ipvsTable("x"), ipvsTable("x"), undefined)).toEqual([]);
  });
});
