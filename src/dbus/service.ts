/**
 * keepalived's D-Bus service org.keepalived.Vrrp1 (keepalived vrrp/vrrp_dbus.c), pure:
 * which objects exist, their paths, and the answer to each method call, as keepalived
 * 2.2.7 with GLib gives it (errors included: names and texts are GLib's).
 *
 * - /org/keepalived/Vrrp1[/<net_namespace>][/<instance>]/Vrrp, interface
 *   org.keepalived.Vrrp1.Vrrp: PrintData, PrintStats, PrintStatsClear, ReloadConfig;
 *   signals VrrpStarted, VrrpReloaded, VrrpStopped
 * - .../Instance/<interface>/<vrid>/<IPv4|IPv6> per vrrp_instance, interface
 *   org.keepalived.Vrrp1.Instance: SendGarp; properties Name and State; signal
 *   VrrpStatusChange(u). The interface is the configured one (not a VMAC), every
 *   character other than [A-Za-z0-9] made '_' (set_valid_path); an instance without one
 *   uses dbus_no_interface_name (default "none")
 * - keepalived's Name property is declared `s` but its value is the struct `(s)`
 *   (handle_get_property wraps it in a tuple, GLib passes it on): keel answers the same
 * - GLib answers org.freedesktop.DBus.Peer on every path, Introspect on every path
 *   (children only where no object is), and "Object does not exist" otherwise
 */
import { INSTANCE_INTERFACE, VRRP_INTERFACE, introspectXml } from "./introspect";
import type { Message, Value, Variant } from "./marshal";

export const DEFAULT_SERVICE_NAME = "org.keepalived.Vrrp1";
const ROOT = "/org/keepalived/Vrrp1";

/** One instance's object. */
export interface InstanceObject {
  name: string;
  path: string;
}

/** What the service asks of the daemon. */
export interface ServiceHost {
  /** the instance's state word (VrrpState or DELETED), or undefined if it is gone */
  state(instance: string): string | undefined;
  /** SendGarp: false when the instance is gone */
  sendGarp(instance: string): boolean;
  printData(): void;
  printStats(clear: boolean): void;
  reload(): void;
  machineId(): string;
}

/** keepalived's numbers for the states (vrrp.h VRRP_STATE_*) and its words for them (state_str). */
const STATES: Record<string, [number, string]> = {
  INIT: [0, "Init"],
  BACKUP: [1, "Backup"],
  MASTER: [2, "Master"],
  FAULT: [3, "Fault"],
  DELETED: [97, "Deleted"],
  STOP: [98, "Stop"],
};

export function stateCode(state: string): number {
  return STATES[state]?.[0] ?? 0;
}

function stateValue(state: string): Value[] {
  const s = STATES[state];
  return s ? [s[0], s[1]] : [0, "Unknown"];
}

/** set_valid_path: a path element from a name (anything but [A-Za-z0-9] becomes '_'). */
export function pathElement(name: string): string {
  return name.replace(/[^A-Za-z0-9]/g, "_") || "_";
}

/** The part before /Vrrp and /Instance: the namespace and instance name (global net_namespace, instance). */
export function objectRoot(netNamespace?: string, instanceName?: string): string {
  let r = ROOT;
  if (netNamespace) r += `/${pathElement(netNamespace)}`;
  if (instanceName) r += `/${pathElement(instanceName)}`;
  return r;
}

export function vrrpPath(root: string): string {
  return `${root}/Vrrp`;
}

export function instancePath(root: string, ifname: string, vrid: number, family: 4 | 6): string {
  return `${root}/Instance/${pathElement(ifname)}/${vrid}/${family === 6 ? "IPv6" : "IPv4"}`;
}

/** A reply: the body of a method return, or an error name and text. */
export type Reply = { sig: string; body: Value[] } | { error: string; text: string };

const ERR_UNKNOWN_METHOD = "org.freedesktop.DBus.Error.UnknownMethod";
const ERR_INVALID_ARGS = "org.freedesktop.DBus.Error.InvalidArgs";
const PROPERTIES = "org.freedesktop.DBus.Properties";
const INTROSPECTABLE = "org.freedesktop.DBus.Introspectable";
const PEER = "org.freedesktop.DBus.Peer";
const OK: Reply = { sig: "", body: [] };

/** The registered objects, in registration order (GLib lists children in that order). */
export class ObjectTree {
  private readonly byPath = new Map<string, { kind: "vrrp" } | { kind: "instance"; name: string }>();

  constructor(
    readonly vrrp: string,
    readonly instances: readonly InstanceObject[],
  ) {
    this.byPath.set(vrrp, { kind: "vrrp" });
    for (const i of instances)
      if (!this.byPath.has(i.path)) this.byPath.set(i.path, { kind: "instance", name: i.name });
  }

  /** The instance whose object is at `path`. */
  instanceAt(path: string): string | undefined {
    const o = this.byPath.get(path);
    return o?.kind === "instance" ? o.name : undefined;
  }

  pathOf(instance: string): string | undefined {
    return this.instances.find((i) => i.name === instance)?.path;
  }

  /** The next path elements below `path` that lead to an object, each once. */
  children(path: string): string[] {
    const prefix = path === "/" ? "/" : `${path}/`;
    const out: string[] = [];
    for (const p of this.byPath.keys()) {
      if (!p.startsWith(prefix)) continue;
      const next = p.slice(prefix.length).split("/")[0] as string;
      if (!out.includes(next)) out.push(next);
    }
    return out;
  }

  /** The answer to one method call (messages of other types are not calls). */
  answer(call: Message, host: ServiceHost): Reply {
    const path = call.path ?? "/";
    const iface = call.interface;
    const member = call.member ?? "";
    const sig = call.signature;
    if (iface === PEER) return peer(member, sig, host);
    const o = this.byPath.get(path);
    if (iface === INTROSPECTABLE && member === "Introspect" && sig === "")
      return { sig: "s", body: [introspectXml(o?.kind, this.children(path))] };
    if (!o) return { error: ERR_UNKNOWN_METHOD, text: `Object does not exist at path “${path}”` };
    const own = o.kind === "vrrp" ? VRRP_INTERFACE : INSTANCE_INTERFACE;
    const noInterface = { error: ERR_UNKNOWN_METHOD, text: `No such interface “${iface}” on object at path ${path}` };
    if (iface === PROPERTIES) {
      const r = properties(member, sig, call.body, own, o.kind === "instance" ? o.name : undefined, host);
      return r === "gone" ? notFound(path) : (r ?? noInterface);
    }
    if (iface !== own) return noInterface;
    const methods = o.kind === "vrrp" ? ["PrintData", "PrintStats", "PrintStatsClear", "ReloadConfig"] : ["SendGarp"];
    if (!methods.includes(member)) return { error: ERR_UNKNOWN_METHOD, text: `No such method “${member}”` };
    if (sig !== "")
      return { error: ERR_INVALID_ARGS, text: `Type of message, “(${sig})”, does not match expected type “()”` };
    if (o.kind === "instance") return host.sendGarp(o.name) ? OK : notFound(path);
    if (member === "PrintData") host.printData();
    else if (member === "PrintStats") host.printStats(false);
    else if (member === "PrintStatsClear") host.printStats(true);
    else host.reload();
    return OK;
  }
}

/** keepalived's answer when the instance behind an object is gone: "<ifname>/<vrid>/<family>". */
function notFound(path: string): Reply {
  return { error: ERR_INVALID_ARGS, text: `Instance '${path.split("/").slice(-3).join("/")}' not found` };
}

function peer(member: string, sig: string, host: ServiceHost): Reply {
  if (member === "Ping" && sig === "") return OK;
  if (member === "GetMachineId" && sig === "") return { sig: "s", body: [host.machineId()] };
  return { error: ERR_UNKNOWN_METHOD, text: `No such method “${member}”` };
}

/** Get, GetAll and Set; undefined: a call GLib does not take (wrong member or arguments). */
function properties(
  member: string,
  sig: string,
  body: Value[],
  own: string,
  instance: string | undefined,
  host: ServiceHost,
): Reply | "gone" | undefined {
  const want = member === "Get" ? "ss" : member === "GetAll" ? "s" : member === "Set" ? "ssv" : undefined;
  if (want === undefined || sig !== want) return undefined;
  const iface = body[0] as string;
  if (iface !== own) return { error: ERR_INVALID_ARGS, text: `No such interface “${iface}”` };
  const names = instance === undefined ? [] : ["Name", "State"];
  const prop = body[1] as string | undefined;
  if (member !== "GetAll" && !names.includes(prop as string))
    return { error: ERR_INVALID_ARGS, text: `No such property “${prop}”` };
  if (member === "Set") return { error: ERR_INVALID_ARGS, text: `Property “${prop}” is not writable` };
  if (instance === undefined) return { sig: "a{sv}", body: [[]] };
  const state = host.state(instance);
  if (state === undefined) return "gone";
  const value: Record<string, Variant> = {
    Name: { sig: "(s)", value: [instance] },
    State: { sig: "(us)", value: stateValue(state) },
  };
  if (member === "Get") return { sig: "v", body: [value[prop as string] as Variant] };
  return { sig: "a{sv}", body: [names.map((n) => [n, value[n] as Variant])] };
}
