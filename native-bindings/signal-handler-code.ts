/**
 * The machine code of keel's real-time signal handler (native-bindings/signals.ts), per
 * architecture: `void handler(int sig)` that writes the signal number's low byte to one
 * fd with a raw write(2) system call, and returns. A raw system call leaves errno alone, as
 * a signal handler must; the registers it uses are the ones a call may clobber, and the
 * kernel restores all of them when the handler returns (rt_sigreturn). Pure: bytes out.
 *
 * x86-64 (System V: sig in edi; write is system call 1):
 *   57                push rdi          the signal number on the stack, low byte first
 *   b8 01 00 00 00    mov eax, 1        SYS_write
 *   bf <fd:le32>      mov edi, fd
 *   48 89 e6          mov rsi, rsp      buf: the byte pushed
 *   ba 01 00 00 00    mov edx, 1        count
 *   0f 05             syscall
 *   5f                pop rdi
 *   c3                ret
 *
 * aarch64 (sig in w0; write is system call 64, number in x8):
 *   d10043ff  sub  sp, sp, #16       sp stays 16-byte aligned
 *   390003e0  strb w0, [sp]
 *   d2800000  movz x0, #fd           (fd << 5)
 *   910003e1  mov  x1, sp
 *   d2800022  movz x2, #1
 *   d2800808  movz x8, #64           SYS_write
 *   d4000001  svc  #0
 *   910043ff  add  sp, sp, #16
 *   d65f03c0  ret
 */

/** The handler for `arch` (process.arch) writing to `fd`, or undefined for another architecture. */
export function handlerCode(arch: string): ((fd: number) => Uint8Array) | undefined {
  if (arch === "x64") return x64;
  if (arch === "arm64") return arm64;
  return undefined;
}

function checkFd(fd: number, max: number): void {
  if (!Number.isInteger(fd) || fd < 0 || fd > max) throw new RangeError(`signal pipe fd ${fd} out of range 0..${max}`);
}

function x64(fd: number): Uint8Array {
  checkFd(fd, 0x7fffffff);
  // biome-ignore format: one instruction a line, as in the table above
  const b = new Uint8Array([
    0x57,
    0xb8, 0x01, 0x00, 0x00, 0x00,
    0xbf, 0x00, 0x00, 0x00, 0x00,
    0x48, 0x89, 0xe6,
    0xba, 0x01, 0x00, 0x00, 0x00,
    0x0f, 0x05,
    0x5f,
    0xc3,
  ]);
  // the fd is mov edi's immediate, after the opcode at offset 6
  new DataView(b.buffer).setInt32(7, fd, true);
  return b;
}

function arm64(fd: number): Uint8Array {
  // movz takes a 16-bit immediate
  checkFd(fd, 0xffff);
  const words = [
    0xd10043ff,
    0x390003e0,
    (0xd2800000 | (fd << 5)) >>> 0,
    0x910003e1,
    0xd2800022,
    0xd2800808,
    0xd4000001,
    0x910043ff,
    0xd65f03c0,
  ];
  const b = new Uint8Array(words.length * 4);
  const v = new DataView(b.buffer);
  words.forEach((w, i) => v.setUint32(i * 4, w, true));
  return b;
}
