#!/bin/bash
# Installs the image build tools once and caches them: a Debian bookworm chroot holding mkosi 24.3
# and systemd 254 from bookworm-backports (mkosi needs systemd >= 254 for bootable disk images;
# the host's systemd 252 stays untouched), plus, on the host, debootstrap to make that chroot and
# qemu + OVMF for `make image-test`. A second run with everything in place does nothing.
# Usage: tools.sh [TOOLS_DIR]   (default /var/tmp/kiosk-mkosi-tools)
set -euo pipefail
tools_dir=${1:-/var/tmp/kiosk-mkosi-tools}
mirror=${KIOSK_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# shellcheck source-path=SCRIPTDIR source=image-lib.sh
. "$(dirname "$0")/image-lib.sh"

if [ "$(id -u)" != 0 ]; then
  echo "The image build needs root (mkosi makes loop devices and chroots); run make image as root." >&2
  exit 1
fi

need_packages debootstrap qemu-system-x86 ovmf qemu-utils

if [ -e "$tools_dir/.kiosk-tools-ready" ]; then
  exit 0
fi

echo "Making the mkosi tools chroot in $tools_dir (once; a few minutes)"
if [ ! -e "$tools_dir/.kiosk-debootstrap-done" ]; then
  rm -rf "$tools_dir"
  mkdir -p "$tools_dir"
  debootstrap --variant=minbase bookworm "$tools_dir" "$mirror"
  touch "$tools_dir/.kiosk-debootstrap-done"
fi
cat > "$tools_dir/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $mirror bookworm-backports main
deb http://deb.debian.org/debian-security bookworm-security main
SOURCES
mount -t proc proc "$tools_dir/proc"
trap 'umount "$tools_dir/proc"' EXIT
chroot "$tools_dir" apt-get update -qq
# mkosi 24.3 and systemd 254 (systemd-repart, bootctl via systemd-boot, systemd-nspawn via
# systemd-container) from backports; file-system makers and mtools for the ESP; debootstrap-free
# apt for the image itself; qemu-user-static is left out (arm64 builds register binfmt on the host).
chroot "$tools_dir" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  -t bookworm-backports mkosi systemd systemd-boot systemd-container \
  systemd-boot-efi udev
chroot "$tools_dir" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  apt debian-archive-keyring e2fsprogs dosfstools mtools python3 zstd cpio kmod util-linux \
  fdisk gnupg git ca-certificates
chroot "$tools_dir" mkosi --version
touch "$tools_dir/.kiosk-tools-ready"
echo "mkosi tools ready in $tools_dir"
