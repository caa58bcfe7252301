#!/bin/bash
# run-in-vm.sh [options] -- CMD [ARGS...]
#
# Boot the host's Debian kernel (IPVS built as modules) in a throwaway QEMU
# guest, run CMD inside as root, print its output, power off, and exit with
# CMD's exit code.  No network, no downloads, nothing written outside
# $IPVS_VM_CACHE / $IPVS_VM_RUNS (default /tmp/keel-vm) and the --share dirs.
#
# Inside the guest:
#   /usr          host /usr over 9p, read-only; /bin /sbin /lib /lib64 are
#                 merged-usr symlinks into it, so every host program and
#                 library (glibc, ipvsadm, ip, strace, socat, bun...) runs
#   /lib/modules  the host's full module tree (via /usr/lib): modprobe works
#   --share DIR   mounted read-write (9p) at the SAME path as on the host
#   cwd           host cwd if it lies inside a share, else /
#   preloaded     ip_vs ip_vs_{rr,wrr,wlc,sh} nf_conntrack veth macvlan bridge
#
# Options:
#   --share DIR      share a host folder read-write (repeatable; tags host, host1..)
#   --mem SIZE       guest RAM (default 1G; env VM_MEM)
#   --cpus N         guest vCPUs (default 2; env VM_CPUS)
#   --accel A        auto|kvm|tcg (env VM_ACCEL; auto = kvm only if /dev/kvm is real VT-x/AMD-V,
#                    tcg when /dev/kvm is PVM (kvm_pvm) -- see README)
#   --timeout SEC    kill the VM after SEC seconds, exit 124 (default 600)
#   --env K=V        environment variable for CMD (repeatable)
#   --tty|--no-tty   interactive console (default: when stdin and stdout are terminals)
#   --dmesg FILE     save the guest's kernel log to FILE
#   --module NAME    also pack and preload kernel module NAME (repeatable)
#   --verbose        show kernel boot messages and init progress
#   --rebuild        rebuild the cached initramfs and vmlinux
#   --print-initramfs  build if needed, print its path, exit
# Env: IPVS_VM_CACHE (/tmp/keel-vm/cache), IPVS_VM_RUNS (/tmp/keel-vm/runs),
#   IPVS_VM_KERNEL (/boot/vmlinuz-VERSION; default newest with ip_vs.ko),
#   IPVS_VM_KEEP_SIGS=1 (keep module signatures; default strips them, see README).
# Exit status: CMD's status; 124 timeout; 125 VM/infrastructure failure.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${IPVS_VM_CACHE:-/tmp/keel-vm/cache}
RUNS=${IPVS_VM_RUNS:-/tmp/keel-vm/runs}
MEM=${VM_MEM:-1G}
CPUS=${VM_CPUS:-2}
ACCEL=${VM_ACCEL:-auto}
TIMEOUT=600
VERBOSE=0
REBUILD=0
PRINT_INITRAMFS=0
DMESG_OUT=
TTY=auto
SHARES=()
ENVS=()
BASE_MODULES=(ip_vs ip_vs_rr ip_vs_wrr ip_vs_wlc ip_vs_sh nf_conntrack veth macvlan bridge af_packet
  virtio_pci 9pnet_virtio 9p)
EXTRA_MODULES=()
QBOOT=/usr/share/qemu/qboot.rom

die() { echo "run-in-vm: $*" >&2; exit 125; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.2f", b-a}'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --share) [ -d "${2:-}" ] || die "--share: not a directory: ${2:-}"; SHARES+=("$(cd "$2" && pwd -P)"); shift 2 ;;
    --mem) MEM=$2; shift 2 ;;
    --cpus) CPUS=$2; shift 2 ;;
    --accel) ACCEL=$2; shift 2 ;;
    --timeout) TIMEOUT=$2; shift 2 ;;
    --env) ENVS+=("$2"); shift 2 ;;
    --tty) TTY=1; shift ;;
    --no-tty) TTY=0; shift ;;
    --dmesg) DMESG_OUT=$2; shift 2 ;;
    --module) EXTRA_MODULES+=("$2"); shift 2 ;;
    --verbose) VERBOSE=1; shift ;;
    --rebuild) REBUILD=1; shift ;;
    --print-initramfs) PRINT_INITRAMFS=1; shift ;;
    --) shift; break ;;
    -h|--help) sed -n '2,35p' "$0"; exit 0 ;;
    *) die "unknown option $1 (put -- before the command)" ;;
  esac
done
[ $# -gt 0 ] || [ "$PRINT_INITRAMFS" = 1 ] || die "usage: run-in-vm.sh [--share DIR] -- CMD..."
if [ "$TTY" = auto ]; then if [ -t 0 ] && [ -t 1 ]; then TTY=1; else TTY=0; fi; fi
for t in qemu-system-x86_64 busybox modprobe cpio; do command -v $t >/dev/null || die "$t not found"; done

# ---------- kernel ----------
if [ -n "${IPVS_VM_KERNEL:-}" ]; then
  KERNEL=$IPVS_VM_KERNEL
else
  KERNEL=
  for k in $(ls -v /boot/vmlinuz-* 2>/dev/null); do
    v=${k#/boot/vmlinuz-}
    [ -f "/lib/modules/$v/kernel/net/netfilter/ipvs/ip_vs.ko" ] && KERNEL=$k
  done
  [ -n "$KERNEL" ] || die "no /boot/vmlinuz-* with a matching ip_vs.ko (apt-get install linux-image-amd64)"
fi
[ -r "$KERNEL" ] || die "kernel $KERNEL not readable"
KVER=${KERNEL#/boot/vmlinuz-}
mkdir -p "$CACHE"

# ---------- accelerator ----------
if [ "$ACCEL" = auto ]; then
  ACCEL=tcg
  if [ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo && [ ! -d /sys/module/kvm_pvm ]; then ACCEL=kvm; fi
fi
case "$ACCEL" in
  kvm) ACCEL_ARGS=(-enable-kvm -cpu host) ;;
  tcg) ACCEL_ARGS=(-accel tcg,thread=multi -cpu max) ;;
  *) die "--accel must be auto, kvm or tcg" ;;
esac

# ---------- uncompressed vmlinux (PVH boot: skips the in-guest xz decompression,
# ~3 s under TCG); falls back to the bzImage if extraction fails ----------
VMLINUX=$CACHE/vmlinux-$KVER-$(stat -c %s-%Y "$KERNEL")
extract_vmlinux() {
  local magic off tool tmp
  for magic in 'fd377a585a00:xz' '28b52ffd:zstd' '1f8b0800:gzip' '02214c18:lz4'; do
    off=$(LC_ALL=C grep -obUaP "$(echo "${magic%%:*}" | sed 's/../\\x&/g')" "$KERNEL" 2>/dev/null | head -1 | cut -d: -f1) || true
    [ -n "$off" ] || continue
    tool=${magic##*:}
    tmp=$(mktemp "$CACHE/vmlinux.XXXXXX")
    case $tool in
      xz) tail -c +$((off + 1)) "$KERNEL" | xz -dc >"$tmp" 2>/dev/null || true ;;
      zstd) tail -c +$((off + 1)) "$KERNEL" | zstd -dcq >"$tmp" 2>/dev/null || true ;;
      gzip) tail -c +$((off + 1)) "$KERNEL" | gzip -dc >"$tmp" 2>/dev/null || true ;;
      lz4) tail -c +$((off + 1)) "$KERNEL" | lz4 -dc >"$tmp" 2>/dev/null || true ;;
    esac
    if [ "$(head -c 4 "$tmp" | od -An -tx1 | tr -d " ")" = 7f454c46 ]; then chmod 644 "$tmp"; mv -f "$tmp" "$VMLINUX"; return 0; fi
    rm -f "$tmp"
  done
  return 1
}
[ "$REBUILD" = 1 ] && rm -f "$VMLINUX"
if [ ! -s "$VMLINUX" ] && [ ! -e "$VMLINUX.failed" ]; then
  extract_vmlinux || { touch "$VMLINUX.failed"; echo "run-in-vm: could not extract vmlinux, booting bzImage (slower)" >&2; }
fi
BOOT_KERNEL=$KERNEL; [ -s "$VMLINUX" ] && BOOT_KERNEL=$VMLINUX
FIRMWARE=(); [ -r "$QBOOT" ] && FIRMWARE=(-bios "$QBOOT")   # qboot: fast, prints nothing

# ---------- initramfs (cached, keyed by the hash of every input) ----------
resolve_modules() { # module file paths in load order (modules.dep + softdeps via kmod), deduplicated
  local m line seen=" " out
  for m in "$@"; do
    out=$(modprobe -S "$KVER" --show-depends "$m" 2>/dev/null) || die "module $m not found for $KVER"
    while read -r line; do
      case "$line" in
        insmod\ *) line=${line#insmod }; line=${line%% *}
          case "$seen" in *" $line "*) ;; *) seen="$seen$line "; echo "$line" ;; esac ;;
      esac   # "builtin X": compiled in, nothing to pack
    done <<<"$out"
  done
}
strip_sig() { # drop the appended PKCS#7 signature: no in-guest RSA verify (~0.25 s under TCG)
  local f=$1 sz b
  [ "$(tail -c 28 "$f")" = "~Module signature appended~" ] || return 0
  sz=$(stat -c %s "$f")
  read -r -a b < <(tail -c 32 "$f" | head -c 4 | od -An -tu1)
  truncate -s $((sz - 40 - ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]))) "$f"
}
ETC_FILES=(/etc/protocols /etc/services /etc/ethertypes /etc/nsswitch.conf /etc/ld.so.cache
  /etc/ld.so.conf /etc/os-release /etc/debian_version /etc/localtime /etc/rpc)
ETC_DIRS=(/etc/ld.so.conf.d /etc/iproute2 /etc/alternatives)

mapfile -t MODFILES < <(resolve_modules "${BASE_MODULES[@]}" "${EXTRA_MODULES[@]}")
BUSYBOX=$(command -v busybox)
KEY=$( { echo "v2 $KVER keepsigs=${IPVS_VM_KEEP_SIGS:-0}"; printf '%s\n' "${MODFILES[@]}";
         sha256sum "$HERE/guest-init.sh" "$BUSYBOX" "${MODFILES[@]}";
         for f in "${ETC_FILES[@]}"; do [ -e "$f" ] && sha256sum "$f"; done
         for d in "${ETC_DIRS[@]}"; do [ -d "$d" ] && find "$d" -printf '%p %l %s %T@\n' | sort; done
       } 2>/dev/null | sha256sum | cut -c1-16)
INITRD=$CACHE/initramfs-$KVER-$KEY.cpio

build_initramfs() {
  local t0 st a f
  t0=$(now)
  st=$(mktemp -d "$CACHE/build.XXXXXX")
  mkdir -p "$st"/{bb,initmods,proc,sys,dev,run,tmp,usr,ctl,etc,root,mnt,var/lib,var/log}
  ln -s usr/bin "$st/bin"; ln -s usr/sbin "$st/sbin"; ln -s usr/lib "$st/lib"; ln -s usr/lib64 "$st/lib64"
  ln -s ../run "$st/var/run"; ln -s ../tmp "$st/var/tmp"
  cp "$BUSYBOX" "$st/bb/busybox"
  for a in $("$BUSYBOX" --list); do [ "$a" = busybox ] || ln -s busybox "$st/bb/$a"; done
  : >"$st/initmods/order"
  for f in "${MODFILES[@]}"; do
    cp "$f" "$st/initmods/"
    [ "${IPVS_VM_KEEP_SIGS:-0}" = 1 ] || strip_sig "$st/initmods/${f##*/}"
    echo "${f##*/}" >>"$st/initmods/order"
  done
  for f in "${ETC_FILES[@]}"; do if [ -e "$f" ]; then cp -L "$f" "$st/etc/"; fi; done
  for f in "${ETC_DIRS[@]}"; do if [ -d "$f" ]; then cp -a "$f" "$st/etc/"; fi; done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$st/etc/passwd"
  printf 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n' >"$st/etc/group"
  printf '127.0.0.1 localhost ipvs-vm\n::1 localhost ip6-localhost ip6-loopback\n' >"$st/etc/hosts"
  echo ipvs-vm >"$st/etc/hostname"
  ln -s /proc/self/mounts "$st/etc/mtab"
  cp "$HERE/guest-init.sh" "$st/init"; chmod 755 "$st/init"
  (cd "$st" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) >"$st.cpio"
  mv -f "$st.cpio" "$INITRD"   # atomic rename: safe with parallel runs
  rm -rf "$st"
  echo "run-in-vm: built $INITRD ($(($(stat -c %s "$INITRD") / 1024)) KiB, ${#MODFILES[@]} modules) in $(since "$t0") s" >&2
}
if [ "$REBUILD" = 1 ] || [ ! -s "$INITRD" ]; then build_initramfs; fi
if [ "$PRINT_INITRAMFS" = 1 ]; then echo "$INITRD"; exit 0; fi

# ---------- per-run control folder (9p tag "ctl"): cmd in, rc + dmesg out ----------
mkdir -p "$RUNS"
CTL=$(mktemp -d "$RUNS/run.XXXXXX")
cleanup() {
  if [ "$TTY" = 1 ]; then stty sane 2>/dev/null || true; fi
  rm -rf "$CTL"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

sq() { local s=${1//\'/\'\\\'\'}; printf "'%s'" "$s"; }   # POSIX single-quoting
cwd=/
for s in "${SHARES[@]}"; do case "$(pwd -P)/" in "$s"/*) cwd=$(pwd -P) ;; esac; done
{
  echo "# generated by run-in-vm.sh"
  for e in "${ENVS[@]}"; do echo "export $(sq "$e")"; done
  echo "cd $(sq "$cwd") || exit 125"
  printf 'exec'; for a in "$@"; do printf ' %s' "$(sq "$a")"; done; echo
} >"$CTL/cmd"

VIRTFS=(-virtfs "local,path=/usr,mount_tag=usr,security_model=none,readonly=on,multidevs=remap"
        -virtfs "local,path=${CTL//,/,,},mount_tag=ctl,security_model=none")
: >"$CTL/shares"
i=0
for s in "${SHARES[@]}"; do
  tag=host; [ $i -gt 0 ] && tag=host$i
  VIRTFS+=(-virtfs "local,path=${s//,/,,},mount_tag=$tag,security_model=none,multidevs=remap")
  printf '%s\t%s\n' "$tag" "$s" >>"$CTL/shares"
  i=$((i + 1))
done

# pci=noacpi, cryptomgr.notests, module-sig stripping: each saves 0.2-0.4 s of boot under TCG
APPEND="console=ttyS0 rdinit=/init panic=-1 oops=panic pci=noacpi cryptomgr.notests init_on_alloc=0 mitigations=off"
if [ "$VERBOSE" = 1 ]; then APPEND="$APPEND loglevel=7 vm.verbose=1"; else APPEND="$APPEND quiet loglevel=1"; fi
[ "$TTY" = 1 ] && APPEND="$APPEND vm.tty=1"
[ -n "${TERM:-}" ] && APPEND="$APPEND TERM=$TERM"

QEMU=(qemu-system-x86_64 "${ACCEL_ARGS[@]}" -M pc "${FIRMWARE[@]}" -smp "$CPUS" -m "$MEM"
  -nodefaults -no-user-config -nographic -serial mon:stdio -no-reboot
  -kernel "$BOOT_KERNEL" -initrd "$INITRD" -append "$APPEND" "${VIRTFS[@]}")
[ "$VERBOSE" = 1 ] && echo "run-in-vm: accel=$ACCEL kernel=$BOOT_KERNEL initrd=$INITRD" >&2

T0=$(now)
set +e
if [ "$TTY" = 1 ]; then
  timeout --foreground -k 5 "$TIMEOUT" "${QEMU[@]}"
else
  timeout -k 5 "$TIMEOUT" "${QEMU[@]}" </dev/null
fi
qrc=$?
set -e
[ "$VERBOSE" = 1 ] && echo "run-in-vm: VM ran $(since "$T0") s" >&2
if [ -n "$DMESG_OUT" ] && [ -f "$CTL/dmesg" ]; then cp "$CTL/dmesg" "$DMESG_OUT"; fi
if [ $qrc -eq 124 ] || [ $qrc -eq 137 ]; then echo "run-in-vm: timed out after ${TIMEOUT}s" >&2; exit 124; fi
if [ -s "$CTL/rc" ]; then exit "$(cat "$CTL/rc")"; fi
echo "run-in-vm: VM ended without an exit code (qemu status $qrc; kernel panic? rerun with --verbose)" >&2
exit 125
