/** IPVS over generic netlink: the virtual-server table keepalived's checkers maintain. */
export { Ipvs } from "./ipvs";
export { IpvsRequestError } from "./messages";
export type {
  IpvsChange,
  IpvsDest,
  IpvsDestInfo,
  IpvsEntry,
  IpvsMethod,
  IpvsProtocol,
  IpvsService,
  IpvsServiceInfo,
  IpvsServiceKey,
  IpvsStats,
  IpvsSyncDaemon,
  IpvsTimeouts,
  IpvsTunType,
} from "./types";
