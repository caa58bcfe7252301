/**
 * The one typed configuration model (DESIGN.md rule 5): camelCase, keepalived's
 * defaults filled in. Each area of keepalived.conf owns a part (its types, defaults,
 * top-level keywords and cross-block checks) in its own folder; this file joins them.
 */
import { type GlobalPart, createGlobalPart } from "./global/model";
import { type LvsPart, createLvsPart } from "./lvs/model";
import type { RtFileAccess } from "./rt-names";
import { type VrrpPart, createVrrpPart } from "./vrrp/model";

export type KeelConfig = GlobalPart & VrrpPart & LvsPart;

export function createConfig(): KeelConfig {
  return { ...createGlobalPart(), ...createVrrpPart(), ...createLvsPart() };
}

/** What the host can tell about itself; checks use it for warnings only. */
export interface HostFacts {
  /** undefined when unknown (e.g. checking a config for another machine) */
  interfaceExists(name: string): boolean | undefined;
  /** whether an interface is a loopback (IFF_LOOPBACK); absent or undefined: unknown */
  isLoopback?(name: string): boolean | undefined;
  /** script users and groups (script_user, script USER GROUP); absent or undefined: unknown */
  userExists?(name: string): boolean | undefined;
  groupExists?(name: string): boolean | undefined;
  /** what a path keepalived writes into is (config_save_dir); absent or undefined: unknown */
  pathKind?(path: string): "directory" | "other" | "missing" | undefined;
  /** the iproute2 name files (rt_tables & co.); absent: none, only the built-in names */
  rtFiles?: RtFileAccess;
  /** an auth_hmac `file:` key: its text and mode bits; undefined: unreadable; absent: unknown */
  readSecret?(path: string): { text: string; mode: number } | undefined;
}
