/**
 * A VMAC's (or ipvlan's) name when `use_vmac`/`use_ipvlan` names none, chosen as
 * keepalived 2.2.7 vrrp_complete_instance chooses it, instance by instance in config order:
 *
 * 1. A private macvlan already in the kernel on the instance's interface with its VRRP
 *    MAC (use_vmac's MAC, else 00-00-5E-00-01-VRID for IPv4, 00-00-5E-00-02-VRID for
 *    IPv6) is the instance's leftover: "(%s) Found matching interface %s", its name is
 *    kept and it is taken as it is (planVmac, with the configured-name cases).
 * 2. Else create_vmac_name: PREFIX.VRID (PREFIX being `vmac_prefix`, default "vrrp") for
 *    both families; a name another instance's VMAC has (a configured one, or one chosen
 *    for an instance before it) or an interface the kernel has is skipped for the next:
 *    IPv6 PREFIX6.VRID, then PREFIX1.VRID, PREFIX2.VRID, … skipping 6; IPv4 PREFIX1.VRID,
 *    PREFIX2.VRID, … . Each is cut to IFNAMSIZ by cutting PREFIX, never the number. With
 *    dynamic_interfaces, a name the configuration gives an interface that does not exist
 *    is taken too (if_get_by_ifname IF_CREATE_NOT_EXIST finds keepalived's entry for it).
 *
 * keel once named IPv6 VMACs PREFIX6.VRID from the start; keepalived names a lone IPv6
 * instance's VMAC PREFIX.VRID (vrrp.86, seen live), and scripts and firewall rules written
 * for keepalived name it so. The driver (vrrp-driver.ts) chooses once, at set-up; the dumps
 * report that name, and a reload keeps a running instance's VMAC and so its name.
 */
import { type SourceLoc, reportConfigPrefix } from "../config/diagnostics";

const IFNAMSIZ = 16;

/** create_vmac_name's attempt `num` (0 the first): PREFIX[num].VRID, PREFIX cut to fit IFNAMSIZ. */
export function vmacCandidate(prefix: string | undefined, vrid: number, num = 0): string {
  const tail = `${num === 0 ? "" : num}.${vrid}`;
  return `${(prefix ?? "vrrp").slice(0, IFNAMSIZ - 1 - tail.length)}${tail}`;
}

/** create_vmac_name: the first candidate `taken` refuses not, in keepalived's order. */
export function chooseVmacName(
  prefix: string | undefined,
  family: 4 | 6,
  vrid: number,
  taken: (name: string) => boolean,
): string {
  let num = 0;
  // keepalived loops without end; 10000 names all taken is a kernel no one runs
  for (let i = 0; i < 10000; i++) {
    const name = vmacCandidate(prefix, vrid, num);
    if (!taken(name)) return name;
    if (family === 6) num = num === 0 ? 6 : num === 6 ? 1 : num + 1 === 6 ? 7 : num + 1;
    else num++;
  }
  throw new Error(`no free VMAC name for VRID ${vrid} with prefix ${prefix ?? "vrrp"}`);
}

/** What the kernel has, as far as naming a VMAC needs it. */
export interface NamedLink {
  name: string;
  ifindex?: number;
  kind?: string;
  mac?: Uint8Array;
  /** IFLA_LINK: a macvlan's parent */
  link?: number;
  /** IFLA_MACVLAN_MODE */
  macvlanMode?: number;
}

const MACVLAN_MODE_PRIVATE = 1;

/**
 * The name an instance's default-named VMAC gets at set-up (vrrp_complete_instance):
 * a matching leftover macvlan's (`adopted`), else create_vmac_name's first free name.
 * `reserved`: other instances' VMAC names (every configured one, and those chosen for
 * instances set up before); a leftover one of them holds is not this instance's.
 * `baseIfindex`: the instance's interface (its parent when it is a macvlan itself);
 * without it nothing matches. `dynamic`: names the configuration gives interfaces that
 * do not exist (with dynamic_interfaces, keepalived's if_queue holds them: taken).
 */
export function pickVmacName(o: {
  prefix: string | undefined;
  family: 4 | 6;
  vrid: number;
  mac: Uint8Array;
  links: Iterable<NamedLink>;
  reserved: ReadonlySet<string>;
  baseIfindex?: number;
  dynamic?: ReadonlySet<string>;
}): { name: string; adopted: boolean } {
  const byName = new Map<string, NamedLink>();
  for (const l of o.links) {
    byName.set(l.name, l);
    if (matches(l, o.baseIfindex, o.mac) && !o.reserved.has(l.name)) return { name: l.name, adopted: true };
  }
  const name = chooseVmacName(
    o.prefix,
    o.family,
    o.vrid,
    (n) => o.reserved.has(n) || byName.has(n) || !!o.dynamic?.has(n),
  );
  return { name, adopted: false };
}

/**
 * vrrp_complete_instance's test of a kernel interface as the instance's VMAC: a private
 * macvlan on the instance's interface with its VRRP MAC (use_vmac's, else
 * 00-00-5E-00-01|02-VRID).
 */
function matches(l: NamedLink, baseIfindex: number | undefined, mac: Uint8Array): boolean {
  return (
    baseIfindex !== undefined &&
    l.kind === "macvlan" &&
    l.link === baseIfindex &&
    l.macvlanMode === MACVLAN_MODE_PRIVATE &&
    sameMac(l.mac, mac)
  );
}

/**
 * vrrp_parser.c vrrp_vmac_handler (keepalived reads the configuration with the kernel's
 * interfaces known): a `use_vmac NAME` held by an interface that is not a private macvlan
 * is ignored, and the instance's VMAC gets a name made for it. The line, or none: a
 * report_config_error, prefixed with the `use_vmac` line's position `at` when known.
 */
export function unusableVmacName(
  instance: string,
  name: string,
  holder: NamedLink | undefined,
  at?: SourceLoc,
): string | undefined {
  if (!holder || (holder.kind === "macvlan" && holder.macvlanMode === MACVLAN_MODE_PRIVATE)) return undefined;
  return `${reportConfigPrefix(at)}(${instance}) interface ${name} already exists and is not a private macvlan; ignoring vmac if_name`;
}

/** What set-up does with the kernel's interface of the VMAC's name. */
export interface VmacPlan {
  name: string;
  /**
   * create: the name is free; reuse: a leftover that matches, taken as it is ("Found
   * matching interface"); update: a macvlan of that name on the same interface with the
   * wrong MAC or mode, changed in place; replace: a macvlan or ipvlan of that name on
   * another interface, deleted and made again.
   */
  action: "create" | "reuse" | "update" | "replace";
  /** the kernel's interface of that name (reuse, update, replace) */
  ifindex?: number;
  /** vrrp_complete_instance's lines (before the instance's interface's "Assigned address") */
  notes: { level: "info" | "error"; text: string }[];
  /** netlink_link_add_vmac's line, when it meets the interface of that name */
  addLine?: string;
}

/**
 * keepalived 2.2.7 (and 2.4.3, the same) for an instance's VMAC at start:
 * vrrp_complete_instance, then netlink_link_add_vmac.
 * 1. A kernel interface that matches (matches(), first in the kernel's order) is the
 *    VMAC, whatever its name: "(%s) Found matching interface %s"; a configured name that
 *    differs gives way: "(%s) vmac name mismatch %s <=> %s. changing to %s." (the
 *    instance takes the interface's name; nothing is renamed). It is taken as it is.
 * 2. Else a configured name held by a macvlan or ipvlan: "(%s) VMAC %s already exists but
 *    is incompatible. It will be deleted/updated"; on another interface it is deleted
 *    ("(%s) Removing old VMAC interface %s due to conflicting interface"), on this one
 *    updated to a private macvlan with the VRRP MAC ("(%s) Update old VMAC interface %s
 *    due to wrong MAC/mode "). Held by anything else: "(%s) VMAC interface name %s already
 *    exists as a non VMAC interface. ignoring configured name", and a name is made.
 * 3. Else create_vmac_name (pickVmacName): a name no interface, no other instance's VMAC
 *    and (dynamic_interfaces) no configured interface has.
 */
export function planVmac(o: {
  instance: string;
  prefix: string | undefined;
  family: 4 | 6;
  vrid: number;
  mac: Uint8Array;
  configured?: string;
  baseIfindex?: number;
  links: NamedLink[];
  reserved: ReadonlySet<string>;
  dynamic?: ReadonlySet<string>;
}): VmacPlan {
  const i = o.instance;
  const notes: VmacPlan["notes"] = [];
  const found = o.links.find((l) => matches(l, o.baseIfindex, o.mac) && !o.reserved.has(l.name));
  if (found) {
    notes.push({ level: "info", text: `(${i}) Found matching interface ${found.name}` });
    if (o.configured !== undefined && o.configured !== found.name)
      notes.push({
        level: "info",
        text: `(${i}) vmac name mismatch ${o.configured} <=> ${found.name}. changing to ${found.name}.`,
      });
    return { name: found.name, action: "reuse", ifindex: found.ifindex, notes };
  }
  let configured = o.configured;
  const holder = configured === undefined ? undefined : o.links.find((l) => l.name === configured);
  if (configured !== undefined && holder) {
    if (holder.kind === "macvlan" || holder.kind === "ipvlan") {
      notes.push({
        level: "info",
        text: `(${i}) VMAC ${configured} already exists but is incompatible. It will be deleted/updated`,
      });
      if (holder.link !== o.baseIfindex)
        return {
          name: configured,
          action: "replace",
          ifindex: holder.ifindex,
          notes,
          addLine: `(${i}) Removing old VMAC interface ${configured} due to conflicting interface`,
        };
      return {
        name: configured,
        action: "update",
        ifindex: holder.ifindex,
        notes,
        addLine: `(${i}) Update old VMAC interface ${configured} due to wrong MAC/mode `,
      };
    }
    notes.push({
      level: "error",
      text: `(${i}) VMAC interface name ${configured} already exists as a non VMAC interface. ignoring configured name`,
    });
    configured = undefined;
  }
  if (configured !== undefined) return { name: configured, action: "create", notes };
  const { name } = pickVmacName({ ...o, links: o.links, baseIfindex: undefined });
  return { name, action: "create", notes };
}

/**
 * The default names a configuration gives, in config order, with no kernel state: what the
 * dumps say for an instance the driver has not set up.
 */
export function configVmacNames(
  prefix: string | undefined,
  instances: Iterable<{ name: string; vrid: number; family: 4 | 6; vmac?: { name?: string } }>,
): Map<string, string> {
  const list = [...instances];
  const reserved = new Set<string>();
  for (const i of list) if (i.vmac?.name !== undefined) reserved.add(i.vmac.name);
  const out = new Map<string, string>();
  for (const i of list) {
    if (!i.vmac) continue;
    const name = i.vmac.name ?? chooseVmacName(prefix, i.family, i.vrid, (n) => reserved.has(n));
    reserved.add(name);
    out.set(i.name, name);
  }
  return out;
}

function sameMac(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
}
