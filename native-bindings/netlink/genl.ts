/**
 * Generic netlink: the genlmsghdr that follows every nlmsghdr, and the controller
 * (family "nlctrl", id GENL_ID_CTRL) that turns a family name into the id the kernel
 * assigned when the family registered (<linux/genetlink.h>). A family id is not a
 * constant: IPVS got 0x20 in one captured boot and may get another in the next, so it
 * is always looked up (CTRL_CMD_GETFAMILY), as libnl's genl_ctrl_resolve does.
 */
import {
  type AttrSchema,
  decodeAttrs,
  decodeStruct,
  encodeAttrs,
  encodeMessage,
  type Result,
  type StructSchema,
  encodeStruct,
  fail,
  ok,
} from "./codec";
import * as K from "./constants";
import { NetlinkError } from "./error";
import type { NetlinkSocket } from "./socket";

export const GENL_ID_CTRL = 16;
export const CTRL_CMD_NEWFAMILY = 1;
export const CTRL_CMD_GETFAMILY = 3;
export const CTRL_ATTR_FAMILY_ID = 1;
export const CTRL_ATTR_FAMILY_NAME = 2;
export const CTRL_ATTR_VERSION = 3;
export const CTRL_ATTR_MAXATTR = 5;

/** struct genlmsghdr { __u8 cmd; __u8 version; __u16 reserved; } */
export const GENLMSGHDR: StructSchema = {
  name: "genlmsghdr",
  size: 4,
  fields: [
    ["cmd", "u8", 0],
    ["version", "u8", 1],
    ["reserved", "u16", 2],
  ],
};

export const CTRL_ATTRS: AttrSchema = {
  name: "CTRL_ATTR",
  attrs: {
    familyId: { type: CTRL_ATTR_FAMILY_ID, kind: "u16" },
    familyName: { type: CTRL_ATTR_FAMILY_NAME, kind: "string" },
    version: { type: CTRL_ATTR_VERSION, kind: "u32" },
    maxattr: { type: CTRL_ATTR_MAXATTR, kind: "u32" },
  },
};

/** One generic netlink request: nlmsghdr + genlmsghdr + attributes. */
export function genlMessage(
  family: number,
  flags: number,
  seq: number,
  cmd: number,
  version: number,
  attrs: Uint8Array = new Uint8Array(0),
): Uint8Array {
  return encodeMessage({ type: family, flags, seq, pid: 0 }, encodeStruct(GENLMSGHDR, { cmd, version }), attrs);
}

/** CTRL_CMD_GETFAMILY by name (version 1, as libnl sends it). */
export function getFamilyRequest(name: string, seq: number): Uint8Array {
  return genlMessage(
    GENL_ID_CTRL,
    K.NLM_F_REQUEST | K.NLM_F_ACK,
    seq,
    CTRL_CMD_GETFAMILY,
    1,
    encodeAttrs(CTRL_ATTRS, [["familyName", name]]),
  );
}

/** A generic netlink message body split into its command and attribute bytes. */
export function splitGenl(payload: Uint8Array): Result<{ cmd: number; version: number; attrs: Uint8Array }> {
  const h = decodeStruct(GENLMSGHDR, payload);
  if (!h.ok) return h;
  return ok({ cmd: h.value.cmd ?? 0, version: h.value.version ?? 0, attrs: payload.subarray(GENLMSGHDR.size) });
}

export function decodeFamily(payload: Uint8Array): Result<{ id: number; name: string; version: number }> {
  const g = splitGenl(payload);
  if (!g.ok) return g;
  if (g.value.cmd !== CTRL_CMD_NEWFAMILY)
    return fail("bad-message", `nlctrl: expected CTRL_CMD_NEWFAMILY, got command ${g.value.cmd}`);
  const a = decodeAttrs(CTRL_ATTRS, g.value.attrs);
  if (!a.ok) return a;
  const { familyId, familyName, version } = a.value;
  if (typeof familyId !== "number" || typeof familyName !== "string")
    return fail("bad-message", "nlctrl: family reply without id or name");
  return ok({ id: familyId, name: familyName, version: typeof version === "number" ? version : 0 });
}

/**
 * Resolve a family name on a NETLINK_GENERIC socket. Throws NetlinkError: ENOENT when
 * the kernel has no such family (for IPVS: the ip_vs module is not loaded and cannot
 * be autoloaded, or the kernel was built without it).
 */
export function resolveFamily(sock: NetlinkSocket, name: string): { id: number; version: number } {
  const request = `CTRL_CMD_GETFAMILY ${name}`;
  const seq = sock.nextSeq();
  // not a dump, but dump() collects the reply and its ACK (or the error) the same way
  const { messages } = sock.dump(request, seq, getFamilyRequest(name, seq));
  for (const m of messages) {
    if (m.type !== GENL_ID_CTRL) continue;
    const f = decodeFamily(m.payload);
    if (!f.ok) throw new NetlinkError(74, request, undefined, f.error.message);
    return { id: f.value.id, version: f.value.version };
  }
  throw new NetlinkError(74, request, undefined, "no CTRL_CMD_NEWFAMILY in the reply");
}
