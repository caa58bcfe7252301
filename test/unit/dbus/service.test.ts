import { describe, expect, test } from "bun:test";
import { authAnswer, authRequest, parseBusAddress } from "../../../src/dbus/address";
import type { Message, Value } from "../../../src/dbus/marshal";
import { type ServiceHost, objectRoot } from "../../../src/dbus/service";
import { parseConf } from "../../../src/config/parse";
import { memorySource } from "../../../src/config/source";
import { objectsOf } from "../../../src/runtime/dbus-service";

const CONF = `
global_defs {
  dbus_no_interface_name nif
}
vrrp_instance VI_1 {
  interface eth0.100
  virtual_router_id 51
  virtual_ipaddress { 10.0.0.1 }
}
vrrp_instance VI_6 {
  interface eth0.100
  virtual_router_id 52
  virtual_ipaddress { fd00::1 }
}
vrrp_instance VI_U {
  virtual_router_id 9
  unicast_src_ip 10.0.0.2
  unicast_peer { 10.0.0.3 }
  virtual_ipaddress { 10.0.0.9 }
}
`;

function tree(conf = CONF, ns?: string) {
  const r = parseConf("/k.conf", {
    source: memorySource({ "/k.conf": conf }),
    host: { interfaceExists: () => true },
    configId: "x",
  });
  expect(r.diagnostics.errorCount).toBe(0);
  return objectsOf(r.config, ns);
}

function host(): ServiceHost & { calls: string[] } {
  const calls: string[] = [];
  const states: Record<string, string> = { VI_1: "MASTER", VI_6: "BACKUP", VI_U: "FAULT" };
  return {
    calls,
    state: (n) => states[n],
    sendGarp: (n) => {
      calls.push(`garp ${n}`);
      return true;
    },
    printData: () => calls.push("data"),
    printStats: (c) => calls.push(`stats ${c}`),
    reload: () => calls.push("reload"),
    machineId: () => "0123456789abcdef0123456789abcdef",
  };
}

const I1 = "/org/keepalived/Vrrp1/Instance/eth0_100/51/IPv4";

function call(path: string, iface: string | undefined, member: string, signature = "", body: Value[] = []): Message {
  return { type: "call", flags: 0, serial: 2, path, interface: iface, member, signature, body, sender: ":1.9" };
}

describe("objects (keepalived vrrp_dbus.c paths)", () => {
  test("configured interface made path-safe, vrid, family; dbus_no_interface_name without one", () => {
    const t = tree();
    expect(t.vrrp).toBe("/org/keepalived/Vrrp1/Vrrp");
    expect(t.instances.map((i) => i.path)).toEqual([
      I1,
      "/org/keepalived/Vrrp1/Instance/eth0_100/52/IPv6",
      "/org/keepalived/Vrrp1/Instance/nif/9/IPv4",
    ]);
    expect(t.children("/org/keepalived/Vrrp1")).toEqual(["Vrrp", "Instance"]);
    expect(t.children("/org/keepalived/Vrrp1/Instance/eth0_100")).toEqual(["51", "52"]);
    expect(t.children("/")).toEqual(["org"]);
  });

  test("the network namespace and instance name sit between Vrrp1 and the objects", () => {
    expect(objectRoot("blue", "a-b")).toBe("/org/keepalived/Vrrp1/blue/a_b");
    expect(tree(CONF, "red").vrrp).toBe("/org/keepalived/Vrrp1/red/Vrrp");
  });
});

describe("answers (GLib's, as keepalived 2.2.7 gives them)", () => {
  const t = tree();
  const P = "org.freedesktop.DBus.Properties";

  test("Name is the struct (s) keepalived returns; State is (us)", () => {
    const h = host();
    expect(t.answer(call(I1, P, "Get", "ss", ["org.keepalived.Vrrp1.Instance", "Name"]), h)).toEqual({
      sig: "v",
      body: [{ sig: "(s)", value: ["VI_1"] }],
    });
    expect(t.answer(call(I1, P, "Get", "ss", ["org.keepalived.Vrrp1.Instance", "State"]), h)).toEqual({
      sig: "v",
      body: [{ sig: "(us)", value: [2, "Master"] }],
    });
    expect(t.answer(call(I1, P, "GetAll", "s", ["org.keepalived.Vrrp1.Instance"]), h)).toEqual({
      sig: "a{sv}",
      body: [
        [
          ["Name", { sig: "(s)", value: ["VI_1"] }],
          ["State", { sig: "(us)", value: [2, "Master"] }],
        ],
      ],
    });
    expect(t.answer(call(t.vrrp, P, "GetAll", "s", ["org.keepalived.Vrrp1.Vrrp"]), h)).toEqual({
      sig: "a{sv}",
      body: [[]],
    });
  });

  test("errors: names and texts as GLib's", () => {
    const h = host();
    const e = (m: Message) => t.answer(m, h);
    expect(e(call(I1, P, "Get", "ss", ["org.keepalived.Vrrp1.Instance", "Foo"]))).toEqual({
      error: "org.freedesktop.DBus.Error.InvalidArgs",
      text: "No such property “Foo”",
    });
    expect(e(call(I1, P, "GetAll", "s", [""]))).toEqual({
      error: "org.freedesktop.DBus.Error.InvalidArgs",
      text: "No such interface “”",
    });
    expect(e(call(I1, P, "Set", "ssv", ["org.keepalived.Vrrp1.Instance", "Name", { sig: "s", value: "x" }]))).toEqual({
      error: "org.freedesktop.DBus.Error.InvalidArgs",
      text: "Property “Name” is not writable",
    });
    expect(e(call(I1, "org.keepalived.Vrrp1.Instance", "Bogus"))).toEqual({
      error: "org.freedesktop.DBus.Error.UnknownMethod",
      text: "No such method “Bogus”",
    });
    expect(e(call(I1, "org.keepalived.Vrrp1.Instance", "SendGarp", "s", ["x"]))).toEqual({
      error: "org.freedesktop.DBus.Error.InvalidArgs",
      text: "Type of message, “(s)”, does not match expected type “()”",
    });
    expect(e(call(t.vrrp, "org.keepalived.Vrrp1.Instance", "SendGarp"))).toEqual({
      error: "org.freedesktop.DBus.Error.UnknownMethod",
      text: "No such interface “org.keepalived.Vrrp1.Instance” on object at path /org/keepalived/Vrrp1/Vrrp",
    });
    expect(e(call("/org", "org.keepalived.Vrrp1.Vrrp", "PrintStats"))).toEqual({
      error: "org.freedesktop.DBus.Error.UnknownMethod",
      text: "Object does not exist at path “/org”",
    });
    expect(e(call(I1, P, "Get", "s", ["x"]))).toEqual({
      error: "org.freedesktop.DBus.Error.UnknownMethod",
      text: `No such interface “${P}” on object at path ${I1}`,
    });
    expect(h.calls).toEqual([]);
    // an object whose instance is gone (between a reload's engine swap and the new objects)
    const gone = { ...h, state: () => undefined, sendGarp: () => false };
    const notFound = { error: "org.freedesktop.DBus.Error.InvalidArgs", text: "Instance 'eth0_100/51/IPv4' not found" };
    expect(t.answer(call(I1, P, "Get", "ss", ["org.keepalived.Vrrp1.Instance", "State"]), gone)).toEqual(notFound);
    expect(t.answer(call(I1, "org.keepalived.Vrrp1.Instance", "SendGarp"), gone)).toEqual(notFound);
  });

  test("methods reach the daemon; Peer works on every path; Introspect lists children where no object is", () => {
    const h = host();
    expect(t.answer(call(I1, "org.keepalived.Vrrp1.Instance", "SendGarp"), h)).toEqual({ sig: "", body: [] });
    for (const m of ["PrintData", "PrintStats", "PrintStatsClear", "ReloadConfig"])
      expect(t.answer(call(t.vrrp, "org.keepalived.Vrrp1.Vrrp", m), h)).toEqual({ sig: "", body: [] });
    expect(h.calls).toEqual(["garp VI_1", "data", "stats false", "stats true", "reload"]);
    expect(t.answer(call("/nope", "org.freedesktop.DBus.Peer", "Ping"), h)).toEqual({ sig: "", body: [] });
    expect(t.answer(call("/", "org.freedesktop.DBus.Peer", "GetMachineId"), h)).toEqual({
      sig: "s",
      body: ["0123456789abcdef0123456789abcdef"],
    });
    const intro = (p: string) => t.answer(call(p, "org.freedesktop.DBus.Introspectable", "Introspect"), h);
    const root = intro("/org/keepalived/Vrrp1") as { body: string[] };
    expect(root.body[0]).toContain('<node>\n  <node name="Vrrp"/>\n  <node name="Instance"/>\n</node>\n');
    const inst = intro(I1) as { body: string[] };
    expect(inst.body[0]).toContain('<property type="(us)" name="State" access="read">');
    expect(inst.body[0]).toContain('<interface name="org.freedesktop.DBus.Peer">');
    expect((intro("/nope") as { body: string[] }).body[0]).toEndWith("<node>\n</node>\n");
  });
});

describe("bus address and EXTERNAL authentication", () => {
  test("the first unix entry of a list; %-escapes; other transports refused with the reason", () => {
    expect(parseBusAddress("unix:path=/run/dbus/system_bus_socket")).toEqual({
      ok: true,
      value: { path: "/run/dbus/system_bus_socket" },
    });
    expect(parseBusAddress("tcp:host=x,port=1;unix:abstract=%2ftmp%2fd")).toEqual({
      ok: true,
      value: { abstract: "/tmp/d" },
    });
    const r = parseBusAddress("tcp:host=x,port=1");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain("unix sockets only");
    expect(parseBusAddress("nonsense").ok).toBe(false);
    expect(parseBusAddress("unix:path=%zz").ok).toBe(false);
  });

  test("AUTH EXTERNAL carries the uid's decimal text in hex; OK carries the GUID", () => {
    expect(authRequest(0)).toBe("\0AUTH EXTERNAL 30\r\n");
    expect(authRequest(1000)).toBe("\0AUTH EXTERNAL 31303030\r\n");
    expect(authAnswer("OK 0123456789abcdef0123456789abcdef")).toEqual({
      ok: true,
      value: "0123456789abcdef0123456789abcdef",
    });
    expect(authAnswer("REJECTED EXTERNAL").ok).toBe(false);
    expect(authAnswer("DATA").ok).toBe(false);
  });
});
