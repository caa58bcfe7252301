/**
 * Sends one malformed VRRP advert from inside a namespace (run with `ip netns exec`), for
 * snmp-traps.test.ts: the packets whose rejection raises an RFC notification in keepalived
 * 2.2.7's vrrp.c vrrp_check_packet:
 *   bun snmp-bad-advert.ts IFNAME SRC VRID KIND
 * KIND:
 *   bad-pass     VRRPv2, auth PASS with a password that is not the instance's (authFailure)
 *   no-auth      VRRPv2, auth none to a PASS instance (authTypeMismatch)
 *   bad-version  VRRPv2 to a VRRPv3 instance (vrrpv3ProtoError versionError)
 *   bad-ttl      VRRPv3 with TTL 64 (vrrpv3ProtoError ipTtlError)
 * A whole Ethernet frame to 01:00:5e:00:00:12 / 224.0.0.18 on an AF_PACKET socket (the
 * codecs cannot be told to send a TTL other than 255, nor a kernel socket a wrong one).
 * Priority 50 and one address, 10.99.0.100: only the checks named above reject it.
 */
import { readFileSync } from "node:fs";
import { check } from "../../native-bindings/errno";
import { libc } from "../../native-bindings/libc";
import { AF_PACKET, sockaddrLl } from "../../native-bindings/structs";
import { ifIndex } from "../../native-bindings/vrrp-socket";
import { encodeIpv4Packet } from "../../src/vrrp/ah";
import { encodeAdvert } from "../../src/vrrp/packet";

const [ifname = "eth0", src = "10.99.0.12", vridText = "51", kind = "bad-pass"] = process.argv.slice(2);
const DST = "224.0.0.18";
const ETH_P_IP = 0x0800;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;

const mac = (text: string) => new Uint8Array(text.split(":").map((h) => Number.parseInt(h, 16)));
const own = mac(readFileSync(`/sys/class/net/${ifname}/address`, "utf8").trim());
const to = mac("01:00:5e:00:00:12");

const v2 = kind === "bad-pass" || kind === "no-auth" || kind === "bad-version";
const advert = encodeAdvert(
  {
    version: v2 ? 2 : 3,
    type: 1,
    vrid: Number(vridText),
    priority: 50,
    family: 4,
    advertIntCs: 100,
    authType: kind === "bad-pass" ? 1 : 0,
    addresses: ["10.99.0.100"],
  },
  { src, dst: DST, ...(kind === "bad-pass" ? { authPass: "wrong" } : {}) },
);
const ip = encodeIpv4Packet({ src, dst: DST, id: 1, payload: advert, ttl: kind === "bad-ttl" ? 64 : 255 });
const frame = new Uint8Array(14 + ip.length);
frame.set(to, 0);
frame.set(own, 6);
frame[12] = ETH_P_IP >> 8;
frame[13] = ETH_P_IP & 0xff;
frame.set(ip, 14);

const fd = check("socket", libc.socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0), "AF_PACKET");
const sa = sockaddrLl({ ifindex: ifIndex(ifname), protocol: ETH_P_IP, addr: to });
const n = Number(libc.sendto(fd, frame, frame.length, 0, sa, sa.length));
libc.close(fd);
if (n !== frame.length) {
  console.error(`snmp-bad-advert: sendto sent ${n} of ${frame.length} bytes`);
  process.exit(1);
}
