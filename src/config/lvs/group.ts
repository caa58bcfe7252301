/**
 * `virtual_server_group NAME { ... }` (keepalived check_parser.c vsg_handler and
 * check_data.c alloc_vsg_entry): a value block whose lines are
 * `IP|RANGE [PORT]` or `fwmark N [inet|inet6]`.
 */
import type { KeelConfig } from "../model";
import { type Ctx, type Keyword, quote } from "../schema";
import type { Node, Token } from "../tree";
import { formatRange, parseRange } from "./addr";
import { portToken } from "./common";
import type { VirtualServerGroup, VsgAddressRange, VsgEntry, VsgFwmark } from "./model";

function parseEntry(c: Ctx, line: Token[], group: string): { entry: VsgEntry; family?: 4 | 6 } | undefined {
  const [head, ...args] = line as [Token, ...Token[]];
  if (head.text === "fwmark") {
    const markTok = args[0];
    if (!markTok) {
      c.error(head, "missing-argument", "'fwmark' needs a number");
      return undefined;
    }
    if (args.length > 2) {
      c.error(args[2] as Token, "extra-argument", "'fwmark' takes a mark and optionally inet|inet6");
      return undefined;
    }
    const fwmark = c.intToken(markTok, 0, 4294967295, `virtual_server_group ${group} fwmark`);
    if (fwmark === undefined) return undefined;
    const entry: VsgEntry = { kind: "fwmark", fwmark };
    const fam = args[1];
    if (fam) {
      const f = c.oneOfToken(fam, ["inet", "inet6"] as const, "fwmark family");
      if (!f) return undefined;
      entry.family = f;
    }
    return { entry };
  }
  if (args.length > 1) {
    c.error(
      args[1] as Token,
      "extra-argument",
      "a virtual_server_group entry is 'IP|RANGE [PORT]' or 'fwmark N [inet|inet6]'",
    );
    return undefined;
  }
  const r = parseRange(head.text);
  if (!r.ok) {
    c.error(head, "bad-address", `virtual_server_group ${group}: ${r.message}`);
    return undefined;
  }
  const entry: VsgEntry = { kind: "range", first: r.first, last: r.last };
  if (args[0]) {
    const p = portToken(c, args[0], "port");
    if (p === null) return undefined;
    if (p !== undefined) entry.port = p;
  }
  return { entry, family: r.family };
}

function parseGroup(c: Ctx, n: Node, cfg: KeelConfig): void {
  const lines = c.lines(n);
  if (!c.count(n, 1)) return;
  const name = (n.args[0] as Token).text;
  const g: VirtualServerGroup = { name, entries: [] };
  c.origin(g, n);
  let v4 = false;
  let v6 = false;
  let fwmarkNoFamily = false;
  for (const line of lines) {
    const e = parseEntry(c, line, name);
    if (!e) continue;
    c.origin(e.entry, line[0] as Token);
    g.entries.push(e.entry);
    if (e.entry.kind === "fwmark") {
      if (e.entry.family === "inet") v4 = true;
      else if (e.entry.family === "inet6") v6 = true;
      else fwmarkNoFamily = true;
    } else if (e.family === 4) v4 = true;
    else v6 = true;
  }
  if (cfg.virtualServerGroups[name]) {
    c.error(n.args[0] as Token, "duplicate-name", `virtual_server_group '${name}' is already defined`);
    return;
  }
  if (!n.block) return;
  if (g.entries.length === 0) {
    c.warning(n.keyword, "empty-group", `virtual_server_group '${name}' has no entries; keepalived removes it`);
    return;
  }
  if (v4 && v6 && fwmarkNoFamily) {
    c.error(
      n.keyword,
      "family-mismatch",
      `virtual_server_group '${name}' has IPv4 and IPv6 entries and a fwmark without inet|inet6; keepalived removes it`,
    );
    return;
  }
  cfg.virtualServerGroups[name] = g;
}

/**
 * One entry line. A hand-written (TOML) model may leave out the kind (the field given
 * says which it is) or what identifies the entry (then it is not written).
 */
function emitEntry(e: VsgEntry): string | undefined {
  const p = e as Partial<VsgAddressRange & Omit<VsgFwmark, "kind">>;
  if (e.kind === "fwmark" || (e.kind === undefined && p.fwmark !== undefined)) {
    if (p.fwmark === undefined) return undefined;
    return `fwmark ${p.fwmark}${p.family ? ` ${p.family}` : ""}`;
  }
  if (p.first === undefined) return undefined;
  return `${formatRange(p.first, p.last ?? p.first)}${p.port !== undefined ? ` ${p.port}` : ""}`;
}

export const groupTopLevel: Record<string, Keyword<KeelConfig>> = {
  virtual_server_group: {
    parse: parseGroup,
    // a hand-written model may leave out a group's name: the map key is the name there
    emit: (cfg) =>
      Object.entries(cfg.virtualServerGroups ?? {}).map(([k, g]) => ({
        line: `virtual_server_group ${quote(g.name ?? k)}`,
        block: (g.entries ?? []).flatMap((e) => emitEntry(e) ?? []),
      })),
  },
};
