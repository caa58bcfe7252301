/**
 * The IPVS table as the checker runtime uses it: read it, apply one operation, flush.
 * Backed by native-bindings/ipvs (generic netlink, what keepalived's libipvs speaks);
 * tests can hand the driver any other IpvsPort. On a kernel without IPVS, openIpvs
 * returns why, and the checkers still run (the child logs it once; VRRP is not affected).
 */
import { Ipvs } from "../../native-bindings/ipvs";
import type { IpvsOp } from "../lvs/diff";
import type { ServiceEntry } from "../lvs/table";

export interface IpvsPort {
  read(): ServiceEntry[];
  apply(op: IpvsOp): void;
  flush(): void;
  close(): void;
}

export function ipvsPort(ipvs: Ipvs): IpvsPort {
  return {
    read: () => ipvs.list(),
    apply: (o) => {
      switch (o.op) {
        case "add-service":
          return ipvs.addService(o.service);
        case "edit-service":
          return ipvs.editService(o.service);
        case "del-service":
          return ipvs.delService(o.key);
        case "add-dest":
          return ipvs.addDest(o.key, o.dest);
        case "edit-dest":
          return ipvs.editDest(o.key, o.dest);
        case "del-dest":
          return ipvs.delDest(o.key, o.dest);
      }
    },
    flush: () => ipvs.flush(),
    close: () => ipvs.close(),
  };
}

export async function openIpvs(): Promise<{ port: IpvsPort; version: string } | { error: string }> {
  let ipvs: Ipvs;
  try {
    ipvs = Ipvs.open();
  } catch (e) {
    return { error: `IPVS is not available: ${(e as Error).message}` };
  }
  try {
    // GET_INFO proves the family answers (and that we may talk to it: CAP_NET_ADMIN)
    const { version } = ipvs.info();
    ipvs.list();
    return { port: ipvsPort(ipvs), version };
  } catch (e) {
    ipvs.close();
    return { error: `IPVS is not available: ${(e as Error).message}` };
  }
}
