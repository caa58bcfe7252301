/**
 * Writes a large keepalived.conf: N `vrrp_script` blocks that no instance uses, plus one
 * instance, so `-t` reads N blocks and reports N `unused-script` warnings. This is the
 * shape that once took keel to 8.8 GB and 40 s at 1.7 M blocks (a 100 MB file).
 *
 *   bun bench/config/big-config.ts N FILE [INTERFACE]
 *
 * Written in chunks so generating a big file does not itself hold the whole text.
 */
import { closeSync, openSync, writeSync } from "node:fs";

/** One block, ~60 bytes, like the probe's: `vrrp_script chk_N { script "/bin/true" }`. */
function block(i: number): string {
  return `vrrp_script chk_${i} {\n    script "/bin/true"\n    interval 2\n}\n`;
}

/** `iface` is the instance's interface: one that exists, or keepalived -t stops at it. */
export function writeBigConfig(file: string, n: number, iface = "eth0"): number {
  const fd = openSync(file, "w");
  let bytes = 0;
  try {
    const head =
      `global_defs {\n    router_id big\n}\nvrrp_instance VI_1 {\n    state BACKUP\n    interface ${iface}\n` +
      "    virtual_router_id 51\n    priority 100\n    virtual_ipaddress {\n        192.0.2.1/32\n    }\n}\n";
    bytes += writeSync(fd, head);
    let chunk = "";
    for (let i = 0; i < n; i++) {
      chunk += block(i);
      if (chunk.length > 1 << 20) {
        bytes += writeSync(fd, chunk);
        chunk = "";
      }
    }
    bytes += writeSync(fd, chunk);
  } finally {
    closeSync(fd);
  }
  return bytes;
}

if (import.meta.main) {
  const n = Number(process.argv[2]);
  const file = process.argv[3];
  if (!Number.isInteger(n) || n < 0 || !file) {
    console.error("usage: bun bench/config/big-config.ts N FILE [INTERFACE]");
    process.exit(2);
  }
  const bytes = writeBigConfig(file, n, process.argv[4]);
  console.log(`${file}: ${n} vrrp_script blocks, ${bytes} bytes`);
}
