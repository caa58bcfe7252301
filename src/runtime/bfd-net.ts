/**
 * The BFD driver's window on the network (native-bindings/bfd-socket.ts behind it, as
 * kernel-linux.ts is the VRRP driver's): sockets opened here, failures returned as
 * values so the driver logs and counts them instead of throwing.
 */
import {
  BFD_PORT_MULTIHOP,
  BFD_PORT_SINGLE_HOP,
  type BfdListener,
  type BfdRx,
  type BfdSender,
  openBfdListener,
  openBfdSender,
} from "../../native-bindings/bfd-socket";
import { watchReadable } from "../../native-bindings/readiness";

export { BFD_PORT_MULTIHOP, BFD_PORT_SINGLE_HOP };
export type { BfdRx };

/** A listening port: `drain` reads what the kernel holds now (before a timeout is believed). */
export interface BfdPort {
  drain(): void;
  close(): void;
}

export type Opened<T> = { ok: true; value: T } | { ok: false; error: string };

export interface BfdNet {
  listen(family: 4 | 6, port: number, onPacket: (rx: BfdRx) => void): Opened<BfdPort>;
  sender(o: {
    family: 4 | 6;
    neighbor: string;
    port: number;
    source?: string;
    ttl: number;
    random: () => number;
  }): Opened<Pick<BfdSender, "port" | "scope" | "send" | "close">>;
}

const msg = (e: unknown) => (e instanceof Error ? e.message : String(e));

export const linuxBfdNet: BfdNet = {
  listen(family, port, onPacket) {
    let l: BfdListener;
    try {
      l = openBfdListener(family, port);
    } catch (e) {
      return { ok: false, error: msg(e) };
    }
    // at most 64 datagrams a turn, then again on the next pass (readiness.ts): timers run
    const stop = watchReadable(l.fd, () => l.drain(onPacket, 64) >= 64);
    return {
      ok: true,
      value: {
        drain() {
          l.drain(onPacket, 64);
        },
        close() {
          stop();
          l.close();
        },
      },
    };
  },
  sender(o) {
    try {
      return { ok: true, value: openBfdSender(o) };
    } catch (e) {
      return { ok: false, error: msg(e) };
    }
  },
};
