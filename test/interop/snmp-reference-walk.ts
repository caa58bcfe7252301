/**
 * snmpwalk's text (`-On -Ox -Ot -Oe`: numeric OIDs, every OCTET STRING in hex, TimeTicks
 * and enumerations as plain numbers) as varbinds, and keel's varbinds as that text, so a
 * MIB module's output and keepalived's walk compare line by line. Pure: the unit tests and
 * the interop test both read it.
 */
import type { Oid, SnmpType, Varbind } from "../../src/snmp/mib";
import { formatOid } from "../../src/snmp/mib";

/** One walked line: the OID, snmpwalk's type word and the value as it prints it. */
export interface WalkLine {
  oid: string;
  type: string;
  value: string;
}

/** snmpwalk's type words for the SMIv2 types (net-snmp snmplib/mib.c sprint_realloc_*). */
const TYPE_WORD: Record<SnmpType, string> = {
  Integer: "INTEGER",
  OctetString: "Hex-STRING",
  ObjectIdentifier: "OID",
  IpAddress: "IpAddress",
  Counter32: "Counter32",
  Gauge32: "Gauge32",
  TimeTicks: "Timeticks",
  Counter64: "Counter64",
};

/**
 * Parse a walk. A Hex-STRING longer than 16 bytes continues on the next lines (net-snmp
 * wraps every 16 octets), which start with a hex pair, never with a dot.
 */
export function parseWalk(text: string): WalkLine[] {
  const out: WalkLine[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trimEnd();
    if (line === "") continue;
    const m = line.match(/^(\.[0-9.]+) = (?:([A-Za-z0-9-]+): )?(.*)$/);
    if (m) {
      const [, oid, type, value] = m;
      // with -Ot a TimeTicks value prints as a bare number, and an empty OCTET STRING as
      // `""`: neither has a type word
      const bare = value!.trim();
      const untyped = /^\d+$/.test(bare) ? { type: "Timeticks", value: bare } : { type: "Hex-STRING", value: "" };
      out.push({ oid: oid!.slice(1), ...(type ? { type, value: bare } : untyped) });
      continue;
    }
    const last = out.at(-1);
    if (!last || !/^[0-9A-Fa-f]{2}( |$)/.test(line.trim())) throw new Error(`snmpwalk line not understood: ${line}`);
    last.value = `${last.value} ${line.trim()}`.trim();
  }
  return out;
}

const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).toUpperCase().padStart(2, "0")).join(" ");

/** A varbind as snmpwalk -On -Ox -Ot -Oe prints it. */
export function walkLineOf(v: Varbind): WalkLine {
  const oid = formatOid(v.oid);
  const type = TYPE_WORD[v.type];
  switch (v.type) {
    case "OctetString": {
      const bytes = typeof v.value === "string" ? new TextEncoder().encode(v.value) : (v.value as Uint8Array);
      return { oid, type, value: hex(bytes) };
    }
    case "ObjectIdentifier":
      return { oid, type, value: `.${formatOid(v.value as Oid)}` };
    default:
      return { oid, type, value: String(v.value) };
  }
}

/**
 * keepalived 2.2.7 serves only the first row of each column of vrrpOperTable and
 * vrrpStatsTable: snmp_rfcv2_header_list_table's `vrrp->ifp ? IF_BASE_INDEX(vrrp->ifp) : 0 <
 * target[0]` parses as `ifp ? index : (0 < target[0])`, true for every instance once the
 * request names a row, so GetNext from a row skips the rest. keel serves every row; the
 * comparison keeps the first row of each column of keel's walk, as keepalived's walk has it.
 */
export function firstRowPerColumn(lines: WalkLine[]): WalkLine[] {
  const seen = new Set<string>();
  return lines.filter((l) => {
    const m = l.oid.match(/^(1\.3\.6\.1\.2\.1\.68\.(?:1\.3\.1|2\.4\.1)\.\d+)\./);
    if (!m) return true;
    if (seen.has(m[1]!)) return false;
    seen.add(m[1]!);
    return true;
  });
}

/**
 * Values that depend on when the walk ran, each replaced by a word: the uptime columns
 * (centiseconds since the agent or the instance started) and the adverts received so far
 * (the backup hears one a second for as long as it runs).
 */
const TIME_DEPENDENT: [RegExp, string][] = [
  [/^1\.3\.6\.1\.2\.1\.68\.1\.3\.1\.13\./, "uptime"],
  [/^1\.3\.6\.1\.2\.1\.207\.1\.1\.1\.1\.12\./, "uptime"],
  [/^1\.3\.6\.1\.2\.1\.68\.2\.4\.1\.2\./, "adverts received"],
  [/^1\.3\.6\.1\.2\.1\.207\.1\.2\.5\.1\.3\./, "adverts received"],
];
export function normalise(lines: WalkLine[]): string[] {
  return lines.map((l) => {
    const t = TIME_DEPENDENT.find(([re]) => re.test(l.oid));
    return `${l.oid} = ${l.type}: ${t ? `<${t[1]}>` : l.value}`;
  });
}
