/**
 * The ioctls of keepalived's linkbeat polling (vrrp/vrrp_if.c if_mii_probe, if_ethtool_probe,
 * if_ioctl_flags), on one AF_INET datagram socket as keepalived's linkbeat_fd:
 *
 * - SIOCGMIIPHY then SIOCGMIIREG: struct mii_ioctl_data (phy_id, reg_num, val_in, val_out,
 *   four u16) sits inline in struct ifreq's union, at offset 16 after ifr_name[16];
 * - SIOCETHTOOL with ETHTOOL_GLINK: ifr_data points to struct ethtool_value { u32 cmd;
 *   u32 data; }, data non-zero when the link is up;
 * - SIOCGIFFLAGS: ifr_flags (a short) at offset 16.
 *
 * Each call answers a value or the errno, never throws for a refusal (a driver without
 * MII is the common case: veth answers EOPNOTSUPP); the runtime (src/runtime/linkbeat.ts)
 * makes keepalived's choices and log lines from them.
 */
import { ptr } from "bun:ffi";
import { check, errno } from "./errno";
import { libc } from "./libc";

const AF_INET = 2;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;

const SIOCGIFFLAGS = 0x8913;
const SIOCETHTOOL = 0x8946;
const SIOCGMIIPHY = 0x8947;
const SIOCGMIIREG = 0x8948;
const ETHTOOL_GLINK = 0x0000000a;
/** struct ifreq: ifr_name[IFNAMSIZ], then a 24-byte union */
const IFREQ_SIZE = 40;

/** A value, or the errno the kernel refused with. */
export type Answer<T> = { ok: true; value: T } | { ok: false; errno: number };

function ifreq(ifname: string): Buffer {
  const ifr = Buffer.alloc(IFREQ_SIZE);
  ifr.write(ifname.slice(0, 15), 0, "latin1");
  return ifr;
}

export class LinkbeatSocket {
  private closed = false;

  private constructor(private readonly fd: number) {}

  /** keepalived init_interface_linkbeat: socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0) */
  static open(): LinkbeatSocket {
    return new LinkbeatSocket(check("socket", libc.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), "linkbeat"));
  }

  private ioctl(request: number, ifr: Buffer): number {
    if (this.closed) return 9; // EBADF
    return libc.ioctl(this.fd, request, ifr) < 0 ? errno() : 0;
  }

  /** SIOCGMIIPHY: the PHY's address (mii_ioctl_data.phy_id). */
  miiPhy(ifname: string): Answer<number> {
    const ifr = ifreq(ifname);
    const e = this.ioctl(SIOCGMIIPHY, ifr);
    return e ? { ok: false, errno: e } : { ok: true, value: ifr.readUInt16LE(16) };
  }

  /** SIOCGMIIREG: register `reg` of PHY `phy` (mii_ioctl_data.val_out). */
  miiRead(ifname: string, phy: number, reg: number): Answer<number> {
    const ifr = ifreq(ifname);
    ifr.writeUInt16LE(phy, 16);
    ifr.writeUInt16LE(reg, 18);
    const e = this.ioctl(SIOCGMIIREG, ifr);
    return e ? { ok: false, errno: e } : { ok: true, value: ifr.readUInt16LE(22) };
  }

  /** SIOCETHTOOL ETHTOOL_GLINK: whether the driver reports link. */
  ethtoolLink(ifname: string): Answer<boolean> {
    const edata = Buffer.alloc(8);
    edata.writeUInt32LE(ETHTOOL_GLINK, 0);
    const ifr = ifreq(ifname);
    ifr.writeBigUInt64LE(BigInt(ptr(edata)), 16);
    const e = this.ioctl(SIOCETHTOOL, ifr);
    return e ? { ok: false, errno: e } : { ok: true, value: edata.readUInt32LE(4) !== 0 };
  }

  /** SIOCGIFFLAGS: ifr_flags (IFF_UP 0x1, IFF_RUNNING 0x40, ...). */
  flags(ifname: string): Answer<number> {
    const ifr = ifreq(ifname);
    const e = this.ioctl(SIOCGIFFLAGS, ifr);
    return e ? { ok: false, errno: e } : { ok: true, value: ifr.readUInt16LE(16) };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    libc.close(this.fd);
  }
}
