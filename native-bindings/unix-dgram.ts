/**
 * AF_UNIX datagrams: systemd's readiness protocol (sd_notify(3)): one datagram on the AF_UNIX socket named
 * by $NOTIFY_SOCKET ("READY=1", "RELOADING=1\nMONOTONIC_USEC=…", "STOPPING=1", …). A
 * leading '@' names an abstract socket. No NOTIFY_SOCKET: nothing to do.
 */
import { SyscallError, check, errno } from "./errno";
import { libc } from "./libc";

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;

/** struct sockaddr_un for a path or an abstract name ("@name"); returns the bytes and the length to pass. */
export function sockaddrUn(path: string): { addr: Uint8Array; len: number } {
  const name = Buffer.from(path.startsWith("@") ? `\0${path.slice(1)}` : path);
  if (name.length > 107) throw new SyscallError("sockaddr_un", 36, `path too long: ${path}`);
  const addr = new Uint8Array(110);
  new DataView(addr.buffer).setUint16(0, AF_UNIX, true);
  addr.set(name, 2);
  // abstract names are exactly as long as given; paths include their NUL
  return { addr, len: 2 + name.length + (path.startsWith("@") ? 0 : 1) };
}

export function sdNotify(state: string, socketPath = process.env.NOTIFY_SOCKET): boolean {
  if (!socketPath) return false;
  const s = openDatagramSender(socketPath);
  try {
    s.send(state);
    return true;
  } finally {
    s.close();
  }
}

/** A datagram sender to one AF_UNIX path (syslog's /dev/log, NOTIFY_SOCKET). */
export function openDatagramSender(path: string): { send(text: string): void; close(): void } {
  const fd = check("socket", libc.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | 0o4000, 0), "AF_UNIX");
  const { addr, len } = sockaddrUn(path);
  return {
    send(text: string): void {
      const msg = Buffer.from(text);
      const r = libc.sendto(fd, msg, msg.length, 0, addr, len);
      if (Number(r) === -1) throw new SyscallError("sendto", errno(), path);
    },
    close(): void {
      libc.close(fd);
    },
  };
}

/** A datagram listener (for tests and tools that stand in for systemd). */
export function listenDatagrams(path: string): { receive(): string[]; close(): void } {
  const fd = check("socket", libc.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | 0o4000, 0), "AF_UNIX");
  const { addr, len } = sockaddrUn(path);
  check("bind", libc.bind(fd, addr, len), path);
  const buf = new Uint8Array(4096);
  return {
    receive() {
      const out: string[] = [];
      for (;;) {
        const n = Number(libc.recvfrom(fd, buf, buf.length, 0x40, null, null));
        if (n < 0) break;
        out.push(Buffer.from(buf.subarray(0, n)).toString());
      }
      return out;
    },
    close() {
      libc.close(fd);
    },
  };
}
