/** The SNMP unit tests' one way to print a varbind, as the fixtures' walks have it. */
import { type Varbind, formatOid } from "../../../src/snmp/mib";

/** A varbind as `snmpwalk -On` prints it (net-snmp's sprint_realloc_by_type, no MIB loaded). */
export function walkLine(v: Varbind): string {
  const name = `.${formatOid(v.oid)}`;
  switch (v.type) {
    case "Integer":
      return `${name} = INTEGER: ${v.value}`;
    case "Gauge32":
    case "Counter32":
    case "Counter64":
      return `${name} = ${v.type}: ${v.value}`;
    case "ObjectIdentifier":
      return `${name} = OID: .${formatOid(v.value as number[])}`;
    case "IpAddress":
      return `${name} = IpAddress: ${v.value}`;
    case "TimeTicks":
      return `${name} = Timeticks: (${v.value})`;
    case "OctetString": {
      const b = typeof v.value === "string" ? new TextEncoder().encode(v.value) : (v.value as Uint8Array);
      if (b.length === 0) return `${name} = ""`;
      const printable = b.every((c) => (c >= 0x20 && c < 0x7f) || c === 0x0a || c === 0x0d || c === 0x09);
      if (printable) return `${name} = STRING: "${new TextDecoder().decode(b)}"`;
      return `${name} = Hex-STRING: ${[...b].map((c) => c.toString(16).toUpperCase().padStart(2, "0")).join(" ")} `;
    }
  }
}
