/**
 * A VMAC interface's name when `use_vmac` names none: PREFIX.VRID, PREFIX being
 * `vmac_prefix` (default "vrrp"), cut to fit IFNAMSIZ as keepalived's create_vmac_name
 * (vrrp.c) cuts it. keepalived tries PREFIX.VRID for IPv6 too and falls back to
 * PREFIX6.VRID when that is taken; keel names IPv6 VMACs PREFIX6.VRID from the start,
 * so an IPv4 and an IPv6 instance with one VRID never race for a name.
 */
const IFNAMSIZ = 16;

export function vmacName(prefix: string | undefined, family: 4 | 6, vrid: number): string {
  const p = `${prefix ?? "vrrp"}${family === 6 ? "6" : ""}`;
  const tail = `.${vrid}`;
  return `${p.slice(0, IFNAMSIZ - 1 - tail.length)}${tail}`;
}
