/** rtnetlink for keel: addresses, routes, rules, macvlans, link state, change events. */
export { NetlinkError } from "./error";
export { watchRtnl } from "./monitor";
export { type AddressBatch, type QueuedAddresses, Rtnl } from "./rtnl";
export type { RcvBuf } from "./socket";
export type {
  AddressInfo,
  AddressSpec,
  EncapSpec,
  LinkInfo,
  NexthopSpec,
  RouteGroups,
  RouteInfo,
  RouteMetrics,
  RouteSpec,
  RtnlEvent,
  RuleInfo,
  RuleSpec,
} from "./types";
