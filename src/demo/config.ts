/**
 * The demo's topology and the keepalived.conf each router runs: three routers with
 * VRRPv3 priorities 150/100/50 for one VIP, a vrrp_script per router that fails while
 * a flag file exists, and a virtual_server on the VIP (port 80) over two web servers
 * checked with HTTP_GET. Both demo modes (namespaces, simulated) use this text.
 */

export const ROUTERS = [
  { name: "r1", priority: 150 },
  { name: "r2", priority: 100 },
  { name: "r3", priority: 50 },
] as const;

export const WEBS = ["web1", "web2"] as const;

/** host numbers in the demo /24 */
const HOST_NUMBER: Record<string, number> = { r1: 11, r2: 12, r3: 13, web1: 21, web2: 22, client: 31 };

export const VRID = 51;
export const ADVERT_INT_S = 1;
/** a failing check takes this much off the priority: r1 150→90 < r2 100, r2 100→40 < r3 50 */
export const CHECK_WEIGHT = -60;
export const WEB_PORT = 80;

export interface DemoNet {
  /** "10.213.X" */
  base: string;
}

/** A private /24 unlikely to clash with anything: 10.213.X.0/24, X random. */
export function pickNet(random = Math.random): DemoNet {
  return { base: `10.213.${Math.floor(random() * 256)}` };
}

export function hostIp(net: DemoNet, host: string): string {
  const n = HOST_NUMBER[host];
  if (n === undefined) throw new Error(`no demo host ${host}`);
  return `${net.base}.${n}`;
}

export function vipOf(net: DemoNet): string {
  return `${net.base}.100`;
}

/**
 * keepalived's Master_Down_Interval in ms for VRRPv3 (RFC 5798 6.1):
 * 3 × Advertisement_Interval + (256 − Priority) × Advertisement_Interval / 256.
 */
export function masterDownMs(priority: number, advertIntS = ADVERT_INT_S): number {
  return 3 * advertIntS * 1000 + ((256 - priority) * advertIntS * 1000) / 256;
}

export interface RouterConfOptions {
  net: DemoNet;
  router: string;
  priority: number;
  /** the check fails while this file exists */
  flagFile: string;
  /** the vrrp_script's command (default: /usr/bin/test ! -e FLAG) */
  checkCommand?: string;
}

export function routerConf(o: RouterConfOptions): string {
  const vip = vipOf(o.net);
  const check = o.checkCommand ?? `/usr/bin/test ! -e ${o.flagFile}`;
  const realServers = WEBS.flatMap((w) => [
    `  real_server ${hostIp(o.net, w)} ${WEB_PORT} {`,
    "    HTTP_GET {",
    "      url {",
    "        path /",
    "      }",
    "      connect_timeout 1",
    "    }",
    "  }",
  ]);
  return `${[
    `# keel demo: router ${o.router} (generated; removed when the demo ends)`,
    "global_defs {",
    `  router_id ${o.router}`,
    "}",
    "",
    "vrrp_script chk_demo {",
    `  script "${check}"`,
    "  interval 1",
    "  fall 1",
    "  rise 1",
    `  weight ${CHECK_WEIGHT}`,
    "}",
    "",
    "vrrp_instance VI_DEMO {",
    "  state BACKUP",
    "  interface eth0",
    `  virtual_router_id ${VRID}`,
    `  priority ${o.priority}`,
    `  advert_int ${ADVERT_INT_S}`,
    "  version 3",
    "  virtual_ipaddress {",
    `    ${vip}/24`,
    "  }",
    "  track_script {",
    "    chk_demo",
    "  }",
    "}",
    "",
    `virtual_server ${vip} ${WEB_PORT} {`,
    "  delay_loop 2",
    "  lb_algo rr",
    "  lb_kind NAT",
    "  protocol TCP",
    ...realServers,
    "}",
  ].join("\n")}\n`;
}
