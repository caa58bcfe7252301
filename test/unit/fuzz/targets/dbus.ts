/**
 * D-Bus messages from the bus (src/dbus/marshal.ts: messageLength frames the stream,
 * decodeMessage reads one message; src/dbus/bus.ts calls them on every byte the bus
 * sends). A corpus file is one message's bytes. Beyond "never throws": a message that
 * decodes is encoded again and decodes to the same message (the byte order may change),
 * and a refused one that kept its header is a readable header.
 */
import fc from "fast-check";
import { type Message, decodeMessage, encodeMessage, messageLength } from "../../../../src/dbus/marshal";
import { mutated, randomBytes } from "../gen";
import { type Target, expectThat, hit, noThrow } from "../harness";

const SEEDS: Message[] = [
  {
    type: "call",
    flags: 0,
    serial: 7,
    path: "/org/keepalived/Vrrp1/Instance/eth0/51/IPv4",
    interface: "org.freedesktop.DBus.Properties",
    member: "Get",
    destination: "org.keepalived.Vrrp1",
    sender: ":1.5",
    signature: "ss",
    body: ["org.keepalived.Vrrp1.Instance", "State"],
  },
  {
    type: "return",
    flags: 1,
    serial: 9,
    replySerial: 7,
    destination: ":1.5",
    signature: "a{sv}(ayat)d",
    body: [
      [
        ["Name", { sig: "(s)", value: ["VI_1"] }],
        ["State", { sig: "(us)", value: [2, "Master"] }],
      ],
      [
        [1, 2, 3],
        [0n, 5n],
      ],
      1.5,
    ],
  },
  { type: "signal", flags: 0, serial: 3, path: "/a/b", interface: "x.y", member: "Z", signature: "u", body: [98] },
  { type: "error", flags: 0, serial: 4, errorName: "a.b.C", replySerial: 2, signature: "s", body: ["why"] },
];

export const dbusMessage: Target = {
  name: "dbus-message",
  budgetMs: 500,
  ciRuns: 3000,
  mustReach: ["ok", "refused", "header-kept"],
  reached: new Map(),
  run(input) {
    const len = noThrow("messageLength", () => messageLength(input));
    const d = noThrow("decodeMessage", () => decodeMessage(input));
    if (len.ok && len.value > 0)
      expectThat(!d.ok || len.value === input.length, "decoded a message of the wrong length");
    if (!d.ok) {
      expectThat(typeof d.error === "string" && d.error.length > 0, "refused without a reason");
      hit(dbusMessage, "refused");
      if (d.header) hit(dbusMessage, "header-kept");
      return;
    }
    hit(dbusMessage, "ok");
    const again = noThrow("decodeMessage(encodeMessage)", () => decodeMessage(encodeMessage(d.value)));
    expectThat(again.ok && Bun.deepEquals(again.value, d.value, true), "a decoded message does not survive encoding");
  },
  inputs() {
    const seeds = SEEDS.map(encodeMessage);
    return fc.oneof({ weight: 5, arbitrary: mutated(seeds) }, { weight: 1, arbitrary: randomBytes(300) });
  },
};
