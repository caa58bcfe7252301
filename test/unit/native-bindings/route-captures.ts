/**
 * What the route request tests (route-encap, route-metrics) share: iproute2's requests as
 * the capture scripts wrote them (test/fixtures/netlink/ip-*-requests.json: name, the `ip`
 * command, the request's hex), and the hex helpers that compare keel's bytes with them.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

export type Capture = { name: string; cmd: string; request: string };

/** A fixture's captures, and `cap(name)`: the one of that name, or an error naming it. */
export function loadCaptures(file: string): { captures: Capture[]; cap: (name: string) => Capture } {
  const path = join(import.meta.dir, "../../fixtures/netlink", file);
  const captures: Capture[] = JSON.parse(readFileSync(path, "utf8")).captures;
  const cap = (name: string): Capture => {
    const c = captures.find((x) => x.name === name);
    if (!c) throw new Error(`no capture ${name} in ${file}`);
    return c;
  };
  return { captures, cap };
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
/** nlmsg_seq of a request in hex: keel's request is built with the same one */
export const seqOf = (h: string): number => Buffer.from(h, "hex").readUInt32LE(8);
