/**
 * The operations that turn the kernel's IPVS table into the desired one, and nothing
 * more: keepalived issues a command per state change; keel compares tables, so a
 * restart, a reload or a table someone edited by hand all converge the same way.
 * Only services keel owns are touched: a service in the kernel that no virtual_server
 * names is left alone (keepalived does the same; ipvsadm users may share the table).
 */
import { type Dest, type Service, type ServiceEntry, type ServiceKey, SVC_F, destId, serviceId } from "./table";

export type IpvsOp =
  | { op: "add-service"; service: Service }
  | { op: "edit-service"; service: Service }
  | { op: "del-service"; key: ServiceKey }
  | { op: "add-dest"; key: ServiceKey; dest: Dest }
  | { op: "edit-dest"; key: ServiceKey; dest: Dest }
  | { op: "del-dest"; key: ServiceKey; dest: Dest };

/** The fields IPVS reports back that keel sets (HASHED is the kernel's own flag). */
function sameService(a: Service, b: Service): boolean {
  const mask = ~SVC_F.HASHED;
  return (
    a.scheduler === b.scheduler &&
    (a.flags & mask) === (b.flags & mask) &&
    a.timeout === b.timeout &&
    ((a.flags & SVC_F.PERSISTENT) === 0 || a.netmask === b.netmask) &&
    (a.pe ?? "") === (b.pe ?? "")
  );
}

function sameDest(a: Dest, b: Dest): boolean {
  return (
    a.weight === b.weight &&
    a.method === b.method &&
    a.upperThreshold === b.upperThreshold &&
    a.lowerThreshold === b.lowerThreshold &&
    (a.method !== "TUN" ||
      ((a.tunType ?? "ipip") === (b.tunType ?? "ipip") &&
        (a.tunPort ?? 0) === (b.tunPort ?? 0) &&
        (a.tunFlags ?? 0) === (b.tunFlags ?? 0)))
  );
}

/**
 * `current`: the kernel's table (or what keel last applied). `owned`: ids of services
 * keel may delete (those of the old config on reload, or of this config); others stay.
 * Order: services first, then their destinations; deletions of destinations before
 * additions so a weight-0 inhibit swap never exceeds thresholds.
 */
export function diffTables(desired: ServiceEntry[], current: ServiceEntry[], owned: Set<string>): IpvsOp[] {
  const ops: IpvsOp[] = [];
  const cur = new Map(current.map((e) => [serviceId(e.service), e]));
  const want = new Map(desired.map((e) => [serviceId(e.service), e]));
  for (const [id, e] of want) {
    const have = cur.get(id);
    const key = keyOf(e.service);
    if (!have) {
      ops.push({ op: "add-service", service: e.service });
      for (const d of e.dests) ops.push({ op: "add-dest", key, dest: d });
      continue;
    }
    if (!sameService(e.service, have.service)) ops.push({ op: "edit-service", service: e.service });
    const haveDests = new Map(have.dests.map((d) => [destId(d), d]));
    const wantDests = new Map(e.dests.map((d) => [destId(d), d]));
    for (const [did, d] of haveDests) if (!wantDests.has(did)) ops.push({ op: "del-dest", key, dest: d });
    for (const [did, d] of wantDests) {
      const h = haveDests.get(did);
      if (!h) ops.push({ op: "add-dest", key, dest: d });
      else if (!sameDest(d, h)) ops.push({ op: "edit-dest", key, dest: d });
    }
  }
  for (const [id, e] of cur) if (!want.has(id) && owned.has(id)) ops.push({ op: "del-service", key: keyOf(e.service) });
  return ops;
}

export function keyOf(s: ServiceKey): ServiceKey {
  const k: ServiceKey = { family: s.family };
  if (s.fwmark !== undefined) k.fwmark = s.fwmark;
  else {
    k.protocol = s.protocol;
    k.address = s.address;
    k.port = s.port;
  }
  return k;
}

/** Apply ops to a table in memory (what keel believes the kernel holds after success). Linear in table + ops. */
export function applyOps(table: ServiceEntry[], ops: IpvsOp[]): ServiceEntry[] {
  // destinations by id, in insertion order (a changed one moves to the end, as the kernel lists it)
  const m = new Map(
    table.map((e) => [
      serviceId(e.service),
      { service: e.service, dests: new Map(e.dests.map((d) => [destId(d), d])) },
    ]),
  );
  for (const o of ops) {
    if (o.op === "add-service" || o.op === "edit-service") {
      const prev = m.get(serviceId(o.service));
      m.set(serviceId(o.service), { service: o.service, dests: prev?.dests ?? new Map() });
    } else if (o.op === "del-service") m.delete(serviceId(o.key));
    else {
      const e = m.get(serviceId(o.key));
      if (!e) continue;
      const id = destId(o.dest);
      e.dests.delete(id);
      if (o.op !== "del-dest") e.dests.set(id, o.dest);
    }
  }
  return [...m.values()].map((e) => ({ service: e.service, dests: [...e.dests.values()] }));
}
