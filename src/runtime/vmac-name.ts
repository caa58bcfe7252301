/**
 * A VMAC's (or ipvlan's) name when `use_vmac`/`use_ipvlan` names none, chosen as
 * keepalived 2.2.7 vrrp_complete_instance chooses it, instance by instance in config order:
 *
 * 1. A macvlan already in the kernel with this instance's VRRP MAC (use_vmac's MAC, else
 *    00-00-5E-00-01-VRID for IPv4, 00-00-5E-00-02-VRID for IPv6) is the instance's
 *    leftover: "(%s) Found matching interface %s", and its name is kept.
 * 2. Else create_vmac_name: PREFIX.VRID (PREFIX being `vmac_prefix`, default "vrrp") for
 *    both families; a name another instance's VMAC has (a configured one, or one chosen
 *    for an instance before it) or an interface the kernel has is skipped for the next:
 *    IPv6 PREFIX6.VRID, then PREFIX1.VRID, PREFIX2.VRID, … skipping 6; IPv4 PREFIX1.VRID,
 *    PREFIX2.VRID, … . Each is cut to IFNAMSIZ by cutting PREFIX, never the number.
 *
 * keel once named IPv6 VMACs PREFIX6.VRID from the start; keepalived names a lone IPv6
 * instance's VMAC PREFIX.VRID (vrrp.86, seen live), and scripts and firewall rules written
 * for keepalived name it so. The driver (vrrp-driver.ts) chooses once, at set-up; the dumps
 * report that name, and a reload keeps a running instance's VMAC and so its name.
 */
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
  kind?: string;
  mac?: Uint8Array;
}

/**
 * The name an instance's default-named VMAC gets at set-up (vrrp_complete_instance):
 * a matching leftover macvlan's (`adopted`), else create_vmac_name's first free name.
 * `reserved`: other instances' VMAC names (every configured one, and those chosen for
 * instances set up before); a leftover one of them holds is not this instance's.
 */
export function pickVmacName(o: {
  prefix: string | undefined;
  family: 4 | 6;
  vrid: number;
  mac: Uint8Array;
  links: Iterable<NamedLink>;
  reserved: ReadonlySet<string>;
}): { name: string; adopted: boolean } {
  const byName = new Map<string, NamedLink>();
  for (const l of o.links) {
    byName.set(l.name, l);
    if (l.kind === "macvlan" && !o.reserved.has(l.name) && sameMac(l.mac, o.mac))
      return { name: l.name, adopted: true };
  }
  const name = chooseVmacName(o.prefix, o.family, o.vrid, (n) => o.reserved.has(n) || byName.has(n));
  return { name, adopted: false };
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
