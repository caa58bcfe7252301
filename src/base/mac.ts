/**
 * Ethernet (MAC) address text <-> bytes.
 * src/base/ imports nothing (DESIGN.md "Layers").
 */

/** "aa:bb:cc:dd:ee:ff" (one or two hex digits a group, either case) to 6 bytes, or undefined. */
export function parseMac(text: string): Uint8Array | undefined {
  const parts = text.split(":");
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) return undefined;
  return Uint8Array.from(parts, (p) => Number.parseInt(p, 16));
}

/** Lower-case, two digits a group, as the kernel writes /sys/class/net/IF/address. */
export function formatMac(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(":");
}
