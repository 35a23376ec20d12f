#!/bin/bash
# Makes arm64 binaries run on this x86-64 build machine, for the arm64 image build (build.sh)
# and its checks: installs qemu-user-static (and fdisk, mtools for check-arm64-image.sh), mounts binfmt_misc if it is absent, and registers
# qemu-aarch64 with the F flag (the interpreter is opened now, so it works inside the tools
# chroot and mkosi's sandboxes, where /usr/bin/qemu-aarch64-static does not exist). The entry
# goes on the persistent /proc/sys/fs/binfmt_misc mount: one made in a private mount namespace
# vanishes with it. Does nothing when qemu-aarch64 is registered already. Needs root.
set -euo pipefail
mnt=/proc/sys/fs/binfmt_misc
fail() { echo "arm64 build: $*" >&2; exit 1; }
# shellcheck source-path=SCRIPTDIR source=image-lib.sh
. "$(dirname "$0")/image-lib.sh"

[ "$(id -u)" = 0 ] || fail "needs root to register qemu-aarch64 in binfmt_misc (run make image as root)."
need_packages qemu-user-static fdisk mtools e2fsprogs
if [ ! -e "$mnt/register" ]; then
  grep -qw binfmt_misc /proc/filesystems || modprobe binfmt_misc 2>/dev/null || true
  grep -qw binfmt_misc /proc/filesystems || fail "this kernel has no binfmt_misc; arm64 images cannot be built here."
  mount -t binfmt_misc binfmt_misc "$mnt" || fail "cannot mount binfmt_misc on $mnt."
fi
[ "$(cat "$mnt/status")" = enabled ] || fail "binfmt_misc is disabled ($mnt/status); echo 1 > $mnt/status."
if [ -e "$mnt/qemu-aarch64" ]; then
  grep -q '^flags:.*F' "$mnt/qemu-aarch64" || \
    fail "qemu-aarch64 is registered without the F flag (it fails in chroots): echo -1 > $mnt/qemu-aarch64 and rerun."
  exit 0
fi
# Debian's own entry (magic, mask, interpreter) with the F flag added.
conf=/usr/lib/binfmt.d/qemu-aarch64.conf
[ -e "$conf" ] || fail "no $conf from qemu-user-static."
entry=$(cat "$conf")
case ${entry##*:} in *F*) ;; *) entry="${entry}F" ;; esac
printf '%s' "$entry" > "$mnt/register" || fail "could not register qemu-aarch64 in $mnt."
grep -q '^flags:.*F' "$mnt/qemu-aarch64" || fail "qemu-aarch64 registered without the F flag."
echo "Registered qemu-aarch64 in binfmt_misc: $(sed -n 's/^interpreter //p' "$mnt/qemu-aarch64") ($(sed -n 's/^flags: //p' "$mnt/qemu-aarch64"))"
