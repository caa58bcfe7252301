/**
 * keepalived's D-Bus service (enable_dbus; keepalived vrrp/vrrp_dbus.c) on the running
 * configuration: the objects of src/dbus/service.ts over a src/dbus/bus.ts connection
 * to the system bus (DBUS_SYSTEM_BUS_ADDRESS, as GLib reads it, else the well-known
 * socket), the daemon's actions behind the methods, and the signals:
 * - VrrpStarted, then one VrrpStatusChange per instance with its state, each time the
 *   name becomes keel's (keepalived's on_bus_acquired; transitions before that are not
 *   sent, as keepalived's global_connection is not set yet)
 * - VrrpStatusChange(u) at each transition (send_instance_notifies)
 * - VrrpReloaded after a reload, once the objects are those of the new configuration
 *   (dbus_reload: an instance keeps its object while its path stays; new paths appear,
 *   removed instances' objects go), then a VrrpStatusChange with the state of each new
 *   object (keepalived's new instances signal their first transitions after it; keel's
 *   made theirs before the object existed, or none: keel carries an instance whose VRID
 *   changed over in its state, where keepalived deletes and restarts it)
 * - VrrpStopped at the stop, after the instances' last VrrpStatusChange (dbus_stop)
 * The service name is fixed at start (keepalived reads dbus_service_name only in
 * dbus_start); a reload that turns enable_dbus on or off starts or stops the service.
 */
import { readTextFile } from "../../native-bindings/file";
import type { KeelConfig } from "../config/model";
import { instanceFamily } from "../config/vrrp/check";
import { BusConnection, type BusCounters } from "../dbus/bus";
import { DEFAULT_SYSTEM_BUS } from "../dbus/address";
import { INSTANCE_INTERFACE, VRRP_INTERFACE } from "../dbus/introspect";
import type { Message } from "../dbus/marshal";
import {
  DEFAULT_SERVICE_NAME,
  ObjectTree,
  type Reply,
  type ServiceHost,
  instancePath,
  objectRoot,
  stateCode,
  vrrpPath,
} from "../dbus/service";

/** What the methods do in the daemon (each already guarded by the caller). */
export interface DbusActions {
  state(instance: string): string | undefined;
  sendGarp(instance: string): boolean;
  printData(): void;
  printStats(clear: boolean): void;
  /** ReloadConfig: keepalived answers, then signals its parent (SIGHUP) */
  reload(): void;
}

export interface DbusLog {
  info(msg: string): void;
  warn(msg: string): void;
}

/** The objects of a configuration, in keepalived's registration order (the Vrrp object, then the instances). */
export function objectsOf(config: KeelConfig, netNamespace?: string): ObjectTree {
  const root = objectRoot(netNamespace ?? config.netNamespace, config.instance);
  const g = config.globalDefs;
  const instances = Object.values(config.vrrpInstances).map((v) => ({
    name: v.name,
    path: instancePath(root, v.interface ?? g.dbusNoInterfaceName, v.virtualRouterId, instanceFamily(v)),
  }));
  return new ObjectTree(vrrpPath(root), instances);
}

/** GLib's g_dbus_get_machine_id: libdbus's file, else systemd's. */
function machineId(): string {
  for (const f of ["/var/lib/dbus/machine-id", "/etc/machine-id"]) {
    try {
      // libc, not node:fs: the daemon loads this module at every start (DESIGN.md rule 6)
      const id = readTextFile(f).trim();
      if (/^[0-9a-f]{32}$/.test(id)) return id;
    } catch {
      // the next one
    }
  }
  return "";
}

export class DbusService {
  private tree: ObjectTree;
  private readonly bus: BusConnection;
  private readonly host: ServiceHost;

  constructor(
    config: KeelConfig,
    private readonly actions: DbusActions,
    private readonly log: DbusLog,
    private readonly netNamespace?: string,
    address = process.env.DBUS_SYSTEM_BUS_ADDRESS || DEFAULT_SYSTEM_BUS,
  ) {
    this.tree = objectsOf(config, netNamespace);
    const id = machineId();
    this.host = {
      state: (n) => actions.state(n),
      sendGarp: (n) => {
        if (actions.state(n) === undefined) return false;
        log.info(`Sending garps on ${n} on DBus request`);
        return actions.sendGarp(n);
      },
      printData: () => {
        log.info("Printing VRRP data on DBus request");
        actions.printData();
      },
      printStats: (clear) => {
        log.info(clear ? "Printing and clearing VRRP stats on DBus request" : "Printing VRRP stats on DBus request");
        actions.printStats(clear);
      },
      // after the answer has gone out, as keepalived answers before it signals
      reload: () => setTimeout(() => actions.reload(), 0),
      machineId: () => id,
    };
    this.bus = new BusConnection({
      address,
      name: config.globalDefs.dbusServiceName || DEFAULT_SERVICE_NAME,
      log,
      answer: (m) => this.answer(m),
      onOwner: () => this.announce(),
    });
  }

  get counters(): BusCounters {
    return this.bus.counters;
  }

  start(): void {
    this.bus.start();
  }

  /** An instance changed state: its VrrpStatusChange. */
  transition(instance: string, to: string): void {
    const path = this.tree.pathOf(instance);
    if (path && this.bus.owner) this.bus.emit(path, INSTANCE_INTERFACE, "VrrpStatusChange", "u", [stateCode(to)]);
  }

  /** The new configuration is running: its objects, then VrrpReloaded. */
  reloaded(config: KeelConfig): void {
    const before = new Set(this.tree.instances.map((i) => i.path));
    this.tree = objectsOf(config, this.netNamespace);
    const after = new Set(this.tree.instances.map((i) => i.path));
    for (const i of this.tree.instances)
      if (!before.has(i.path)) this.log.info(`Added DBus object for instance ${i.name} on path ${i.path}`);
    for (const p of before) if (!after.has(p)) this.log.info(`Deleted DBus object on path ${p}`);
    if (!this.bus.owner) return;
    this.bus.emit(this.tree.vrrp, VRRP_INTERFACE, "VrrpReloaded");
    // a new object's state: its instance's first transitions ran in the driver's commit,
    // before these objects existed (keepalived's new instances start after dbus_reload),
    // and an instance keel carried over to a new path (a new VRID) makes none
    for (const i of this.tree.instances) if (!before.has(i.path)) this.emitState(i.name, i.path);
  }

  stop(): void {
    this.bus.stop({ path: this.tree.vrrp, interface: VRRP_INTERFACE, member: "VrrpStopped", signature: "", body: [] });
    this.log.info("Released DBus");
  }

  private answer(m: Message): Reply {
    try {
      return this.tree.answer(m, this.host);
    } catch (e) {
      this.log.warn(`DBus: ${m.interface}.${m.member} on ${m.path} failed: ${(e as Error).message}`);
      return { error: "org.freedesktop.DBus.Error.Failed", text: (e as Error).message };
    }
  }

  /** keepalived's on_bus_acquired: VrrpStarted (when there are instances), then each instance's state. */
  private announce(): void {
    if (this.tree.instances.length === 0) return;
    this.bus.emit(this.tree.vrrp, VRRP_INTERFACE, "VrrpStarted");
    for (const i of this.tree.instances) this.emitState(i.name, i.path);
  }

  private emitState(instance: string, path: string): void {
    const s = this.actions.state(instance);
    if (s !== undefined) this.bus.emit(path, INSTANCE_INTERFACE, "VrrpStatusChange", "u", [stateCode(s)]);
  }
}
