#!/bin/bash
# Boots what can be booted here of build/image/kiosk-arm64.raw (the Raspberry Pi image): its own
# arm64 kernel and initrd, taken from the boot-a partition, on its own root partition A, under
# qemu-system-aarch64 -M virt -cpu cortex-a72 (TCG). The Pi firmware (start4.elf, config.txt,
# autoboot.txt, the bcm2711 device tree) is NOT exercised: qemu 7.2 cannot emulate a Pi 4, so
# the kernel is loaded directly and sees virtio devices instead of the Pi's.
# The image's test mode is asked for with the kernel command line word kiosk.image-test=1
# (kiosk-headless-generator: the kiosk draws offscreen, kiosk-image-test.service waits for
# kiosk.service to be READY, prints KIOSK-IMAGE-TEST lines on the serial console and powers
# off).
#   image-test-arm64.sh [IMAGE]          one boot, the disk opened with snapshot=on (the image
#                                        file is never changed). `make image-test IMAGE_ARCH=arm64`.
#   image-test-arm64.sh --twice [IMAGE]  the machine-id check (~10 min): two boots of one sparse
#                                        copy of the image (snapshot off): boot 2 must show boot
#                                        1's machine-id, one journal folder (that id's) holding
#                                        2 boots, /var mounted from the data partition. The copy
#                                        is deleted when both boots pass.
#   --firstboot                          (`make image-test FIRSTBOOT=1 IMAGE_ARCH=arm64`) runs
#                                        --twice: enrolment at a hub is tested on x86-64 only.
# Prints boot-to-READY seconds (JSON in build/image/image-test-arm64.json).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
mode=once
case "${1:-}" in
  --twice) mode=twice; shift ;;
  --firstboot)
    echo "arm64: no enrolment test here (x86-64 only); --firstboot runs the two-boot machine-id check"
    mode=twice; shift ;;
esac
img=${1:-$repo/build/image/kiosk-arm64.raw}
out=$repo/build/image
log=$out/image-test-arm64.log
limit_s=${KIOSK_IMAGE_TEST_LIMIT_S:-1500}
[ -e "$img" ] || { echo "No image at $img; run make image IMAGE_ARCH=arm64 first." >&2; exit 1; }
# shellcheck source-path=SCRIPTDIR source=image-lib.sh
. "$repo/provisioning/mkosi/image-lib.sh"
need_packages qemu-system-arm mtools fdisk

# The kernel, initrd and command line of boot slot A, read from the FAT partition at its offset.
boot_off=$(sfdisk -J "$img" | python3 -c '
import json, sys
t = json.load(sys.stdin)["partitiontable"]
print(next(p["start"] * t.get("sectorsize", 512) for p in t["partitions"] if p.get("name") == "boot-a"))')
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mcopy -n -i "$img@@$boot_off" ::vmlinuz ::initrd.img ::cmdline.txt "$tmp/"
# The Pi's command line with the Pi-only consoles replaced by the virt board's PL011 UART and
# without "quiet", so the serial log shows how far the boot got.
append=$(sed -e 's/console=[^ ]*//g' -e 's/\bquiet\b//; s/loglevel=[0-9]//' "$tmp/cmdline.txt" | tr -s ' ')
append="$append console=ttyAMA0,115200 kiosk.image-test=1"
echo "kernel command line: $append"

# boot DISK LOG SNAPSHOT: one boot of the image's kernel on DISK (image-lib.sh's boot_qemu).
boot() {
  local disk=$1 log=$2 snapshot=$3
  boot_qemu "$log" "$limit_s" \
    qemu-system-aarch64 -M virt -cpu cortex-a72 -accel tcg -smp 2 -m 2048 \
    -kernel "$tmp/vmlinuz" -initrd "$tmp/initrd.img" -append "$append" \
    -drive if=none,id=disk,format=raw,file="$disk",snapshot="$snapshot" -device virtio-blk-pci,drive=disk \
    -nic none -display none -monitor none -no-reboot \
    -serial file:"$log"
}

if [ "$mode" = once ]; then
  boot "$img" "$log" on
  printf '{"arch": "arm64", "boot_to_ready_wall_s": %.1f, "ready_since_kernel_s": %s, "total_wall_s": %.1f, "log": "build/image/image-test-arm64.log"}\n' \
    "$ready_wall_s" "$(guest_ready "$log")" "$total_wall_s" | tee "$out/image-test-arm64.json"
  exit 0
fi

# --twice: two boots of one sparse copy (cp --sparse: ~1.3 GB on disk, not 6.2 GB).
disk=$out/kiosk-arm64-twice.raw
cp --sparse=always "$img" "$disk"
log1=$out/image-test-arm64-boot1.log log2=$out/image-test-arm64-boot2.log
echo "== boot 1 of $disk"
boot "$disk" "$log1" off
r1=$ready_wall_s t1=$total_wall_s
echo "== boot 2 of the same disk"
boot "$disk" "$log2" off
r2=$ready_wall_s t2=$total_wall_s
mid1=$(field "$log1" machine-id | cut -d' ' -f1)
mid2=$(field "$log2" machine-id | cut -d' ' -f1)
check "boot 1: a machine-id" "$(echo "$mid1" | grep -cE '^[0-9a-f]{32}$' || true)" 1
check "boot 1: /var is the data partition" "$(field "$log1" "/var mount" | cut -d' ' -f2)" ext4
check "boot 1: the id kept in /var/lib/dbus/machine-id" "$(field "$log1" machine-id | sed -n 's/.*(\/var\/lib\/dbus\/machine-id \([0-9a-f]*\))$/\1/p')" "$mid1"
check "boot 2: same machine-id" "$mid2" "$mid1"
check "boot 2: one journal folder, the machine-id's" "$(field "$log2" "journal folders" | tr -d ' ')" "$mid1"
check "boot 2: the journal holds both boots" "$(field "$log2" "journal boots")" 2
check "boot 1: the boot partition (autoboot) at /boot/firmware" "$(field "$log1" "boot partition" | cut -d' ' -f1,3)" "/boot/firmware vfat"
# kiosk-firstboot.service fails by design here: no kiosk-provision.toml, no network.
check "boot 2: no failed units but kiosk-firstboot" \
  "$(grep -a 'KIOSK-IMAGE-TEST: failed unit' "$log2" | grep -avc 'failed unit kiosk-firstboot.service' || true)" 0
printf '{"arch": "arm64", "mode": "twice", "boot1_ready_wall_s": %.1f, "boot1_ready_since_kernel_s": %s, "boot1_total_wall_s": %.1f, "boot2_ready_wall_s": %.1f, "boot2_ready_since_kernel_s": %s, "boot2_total_wall_s": %.1f, "machine_id_1": "%s", "machine_id_2": "%s", "failures": %d}\n' \
  "$r1" "$(guest_ready "$log1")" "$t1" "$r2" "$(guest_ready "$log2")" "$t2" "$mid1" "$mid2" "${#failures[@]}" \
  | tee "$out/image-test-arm64-twice.json"
if [ "${#failures[@]}" -gt 0 ]; then
  echo "arm64 two-boot check FAILED (${#failures[@]}); the disk is kept: $disk" >&2
  exit 1
fi
rm -f "$disk"
echo "arm64 two-boot check passed"
