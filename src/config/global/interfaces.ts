/**
 * The root blocks that name interfaces: `linkbeat_interfaces` and
 * `interface_up_down_delays` (keepalived vrrp/vrrp_parser.c alloc_linkbeat_interface,
 * alloc_if_up_down_delay). Whether the interfaces exist is checked in check.ts.
 * A later line for the same interface replaces the earlier one, as in keepalived
 * (both set fields of the one interface_t).
 */
import type { KeelConfig } from "../model";
import { type Keyword, emitList, quote } from "../schema";
import type { Token } from "../tree";
import { timerToken } from "./helpers";
import type { InterfaceUpDownDelay, LinkbeatInterface } from "./model";

type K = Keyword<KeelConfig>;

const LINKBEAT_TYPES = ["MII", "ETHTOOL", "IOCTL"] as const;

function replace<T>(list: T[], item: T, same: (x: T) => boolean): void {
  const i = list.findIndex(same);
  if (i >= 0) list[i] = item;
  else list.push(item);
}

/** `linkbeat_interfaces { IFNAME [MII|ETHTOOL|IOCTL] ... }` */
export const linkbeatInterfaces: K = {
  parse: (c, n, t) => {
    c.count(n, 0);
    for (const [name, type, extra] of c.lines(n) as [Token, Token | undefined, Token | undefined][]) {
      const lb: LinkbeatInterface = { name: name.text };
      if (type) {
        // keepalived compares these case-sensitively
        const ty = LINKBEAT_TYPES.find((x) => x === type.text);
        if (ty) lb.type = ty;
        else
          c.error(
            type,
            "bad-value",
            `linkbeat interface '${name.text}': '${type.text}' is not one of ${LINKBEAT_TYPES.join("|")}`,
          );
      }
      if (extra) c.error(extra, "extra-argument", `linkbeat interface '${name.text}' takes only a polling type`);
      replace(t.linkbeatInterfaces, c.origin(lb, name), (x) => x.name === lb.name);
    }
  },
  emit: (t, kw) =>
    emitList(kw, t.linkbeatInterfaces, (lb) =>
      lb.name === undefined ? undefined : `${quote(lb.name)}${lb.type ? ` ${lb.type}` : ""}`,
    ),
};

/**
 * `interface_up_down_delays { IFNAME DOWN [UP] ... }`, delays in seconds 0..255. The man
 * page says an omitted UP delay equals DOWN, but keepalived's parser sets it to 0; the
 * model keeps it undefined ("0", as the parser does) when it is left out.
 */
export const interfaceUpDownDelays: K = {
  parse: (c, n, t) => {
    c.count(n, 0);
    for (const line of c.lines(n)) {
      const [name, down, up, extra] = line as [Token, Token | undefined, Token | undefined, Token | undefined];
      if (!down) {
        c.error(
          name,
          "missing-argument",
          `interface '${name.text}' needs a down delay (and optionally an up delay) in seconds`,
        );
        continue;
      }
      if (extra) c.error(extra, "extra-argument", `interface '${name.text}' takes a down delay and an up delay only`);
      const downDelay = timerToken(c, down, 0, 255, `down delay for ${name.text}`);
      const upDelay = up ? timerToken(c, up, 0, 255, `up delay for ${name.text}`) : undefined;
      if (downDelay === undefined || (up && upDelay === undefined)) continue;
      const d: InterfaceUpDownDelay =
        upDelay === undefined ? { interface: name.text, downDelay } : { interface: name.text, downDelay, upDelay };
      replace(t.interfaceUpDownDelays, c.origin(d, name), (x) => x.interface === d.interface);
    }
  },
  // Without a down delay only the interface is written, and the parser reports the delay
  // missing: an up delay alone would be read as the down delay.
  emit: (t, kw) =>
    emitList(kw, t.interfaceUpDownDelays, (d) => {
      if (d.interface === undefined) return undefined;
      if (d.downDelay === undefined) return quote(d.interface);
      return `${quote(d.interface)} ${d.downDelay}${d.upDelay !== undefined ? ` ${d.upDelay}` : ""}`;
    }),
};
