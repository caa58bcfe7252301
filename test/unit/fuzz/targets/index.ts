/** Every fuzz target, by corpus name: the replay test and the campaign runner read this list. */
import type { Target } from "../harness";
import { authHmacIpv4 } from "./auth-hmac";
import { bfd } from "./bfd";
import { configConf, configToml, configTree } from "./config";
import { controlRequest, controlServerLine } from "./control";
import { dbusMessage } from "./dbus";
import { controlExplain } from "./explain";
import { ipvs, netlink } from "./netlink";
import { trackFile } from "./track-file";
import { vrrpIpv4, vrrpIpv6 } from "./vrrp";

export const TARGETS: readonly Target[] = [
  vrrpIpv4,
  vrrpIpv6,
  authHmacIpv4,
  netlink,
  ipvs,
  controlRequest,
  controlServerLine,
  controlExplain,
  configConf,
  configTree,
  configToml,
  trackFile,
  bfd,
  dbusMessage,
];
