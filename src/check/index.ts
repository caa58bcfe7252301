/** One probe factory for every checker type (FILE_CHECK and BFD_CHECK have no probe: the runtime drives them). */
import type { Checker, RealServer, SslConfig, VirtualServer } from "../config/lvs/model";
import { createDnsProbe } from "./dns";
import { createHttpProbe } from "./http";
import { createMiscProbe } from "./misc";
import { createPingProbe } from "./ping";
import type { Probe, ProbeDeps } from "./probe";
import { createSmtpProbe } from "./smtp";
import { createTcpProbe } from "./tcp";
import { createUdpProbe } from "./udp";

export interface ProbeSite {
  vs: VirtualServer;
  rs: RealServer;
  ssl?: SslConfig;
  deps: ProbeDeps;
}

export function createProbe(ck: Checker, site: ProbeSite): Probe {
  switch (ck.type) {
    case "TCP_CHECK":
      return createTcpProbe(ck, site);
    case "HTTP_GET":
    case "SSL_GET":
      return createHttpProbe(ck, site);
    case "SMTP_CHECK":
      return createSmtpProbe(ck, site);
    case "DNS_CHECK":
      return createDnsProbe(ck, site);
    case "UDP_CHECK":
      return createUdpProbe(ck, site);
    case "PING_CHECK":
      return createPingProbe(ck, site);
    case "MISC_CHECK":
      return createMiscProbe(ck, site);
    case "FILE_CHECK":
    case "BFD_CHECK":
      throw new Error(`${ck.type} has no probe`);
  }
}
