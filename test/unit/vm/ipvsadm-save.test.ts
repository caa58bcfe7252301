// ipvsadm's save format (what `ipvsadm -Sn` prints) back into the table keel diffs against.
import { expect, test } from "bun:test";
import { parseSave } from "../../vm/guest/ipvsadm-save";
import { SVC_F } from "../../../src/lvs/table";

test("services, fwmarks, IPv6, persistence, flags and every forwarding method", () => {
  const t = parseSave(`-A -t 10.0.0.1:80 -s wrr -p 300 -M 255.255.255.0
-a -t 10.0.0.1:80 -r 10.0.1.1:8080 -m -w 3
-a -t 10.0.0.1:80 -r 10.0.1.2:80 -g -w 0 -x 100 -y 10
-A -f 7 -s sh -b sh-fallback,sh-port
-a -f 7 -r 10.0.1.3:0 -i -w 1
-A -u [2001:db8::1]:53 -s rr -o
`);
  expect(t).toHaveLength(3);
  expect(t[0]?.service).toEqual({
    family: 4,
    protocol: "TCP",
    address: "10.0.0.1",
    port: 80,
    scheduler: "wrr",
    flags: SVC_F.PERSISTENT,
    timeout: 300,
    netmask: 0xffffff00,
  });
  expect(t[0]?.dests).toEqual([
    { address: "10.0.1.1", port: 8080, weight: 3, method: "NAT", upperThreshold: 0, lowerThreshold: 0 },
    { address: "10.0.1.2", port: 80, weight: 0, method: "DR", upperThreshold: 100, lowerThreshold: 10 },
  ]);
  expect(t[1]?.service).toMatchObject({ fwmark: 7, scheduler: "sh", flags: SVC_F.SCHED1 | SVC_F.SCHED2 });
  expect(t[1]?.dests[0]).toMatchObject({ method: "TUN", tunType: "ipip" });
  expect(t[2]?.service).toMatchObject({
    family: 6,
    protocol: "UDP",
    address: "2001:db8::1",
    port: 53,
    flags: SVC_F.ONEPACKET,
    netmask: 128,
  });
});
