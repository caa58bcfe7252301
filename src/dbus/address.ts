/**
 * Bus addresses and the SASL EXTERNAL handshake (D-Bus Specification, "Server Addresses"
 * and "Authentication Protocol"), pure. keel connects only to the system bus: the address
 * in DBUS_SYSTEM_BUS_ADDRESS, as GLib's g_bus_own_name(G_BUS_TYPE_SYSTEM) reads it
 * (keepalived), else the well-known socket.
 */
import type { Result } from "./marshal";

/** GLib's (and libdbus's) default system bus. */
export const DEFAULT_SYSTEM_BUS = "unix:path=/var/run/dbus/system_bus_socket";

/** Where to connect: a socket path, or a Linux abstract socket name (without its NUL). */
export type BusSocket = { path: string } | { abstract: string };

/**
 * The first usable entry of an address list (`;`-separated `transport:key=value,...`,
 * values %-escaped). keel speaks unix sockets only; a list whose entries are all other
 * transports (tcp:, launchd:, ...) is refused with the reason.
 */
export function parseBusAddress(text: string): Result<BusSocket> {
  const errors: string[] = [];
  for (const entry of text.split(";")) {
    if (entry.trim() === "") continue;
    const colon = entry.indexOf(":");
    if (colon < 0) {
      errors.push(`'${entry}' has no transport`);
      continue;
    }
    const transport = entry.slice(0, colon);
    const keys = new Map<string, string>();
    let bad: string | undefined;
    for (const kv of entry.slice(colon + 1).split(",")) {
      if (kv === "") continue;
      const eq = kv.indexOf("=");
      const v = eq < 0 ? undefined : percentDecode(kv.slice(eq + 1));
      if (v === undefined) bad = `'${kv}' is not key=value`;
      else keys.set(kv.slice(0, eq), v);
    }
    if (bad) {
      errors.push(bad);
      continue;
    }
    if (transport !== "unix") {
      errors.push(`transport '${transport}' (keel connects over unix sockets only)`);
      continue;
    }
    const path = keys.get("path");
    const abstract = keys.get("abstract");
    if (path) return { ok: true, value: { path } };
    if (abstract) return { ok: true, value: { abstract } };
    errors.push(`'${entry}' has neither path= nor abstract=`);
  }
  return { ok: false, error: `bus address '${text}': ${errors.join("; ") || "empty"}` };
}

function percentDecode(v: string): string | undefined {
  try {
    return decodeURIComponent(v);
  } catch {
    return undefined;
  }
}

/** The client's first bytes: the NUL the protocol wants, then AUTH EXTERNAL with the uid in hex of its decimal text. */
export function authRequest(uid: number): string {
  const hex = [...String(uid)].map((c) => c.charCodeAt(0).toString(16)).join("");
  return `\0AUTH EXTERNAL ${hex}\r\n`;
}

/** The server's answer to AUTH: OK with the server's GUID, or why not. */
export function authAnswer(line: string): Result<string> {
  const m = /^OK ([0-9a-fA-F]{32})$/.exec(line);
  if (m) return { ok: true, value: m[1] as string };
  if (line.startsWith("REJECTED")) return { ok: false, error: `the bus refused EXTERNAL authentication (${line})` };
  return { ok: false, error: `unexpected answer to AUTH: '${line.slice(0, 80)}'` };
}
