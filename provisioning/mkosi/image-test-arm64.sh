#!/bin/bash
# Boots what can be booted here of build/image/kiosk-arm64.raw (the Raspberry Pi image): its own
# arm64 kernel and initrd, taken from the boot-a partition, on its own root partition A, under
# qemu-system-aarch64 -M virt -cpu cortex-a72 (TCG). The Pi firmware (start4.elf, config.txt,
# autoboot.txt, the bcm2711 device tree) is NOT exercised: qemu 7.2 cannot emulate a Pi 4, so
# the kernel is loaded directly and sees virtio devices instead of the Pi's.
# The image's test mode is asked for with the kernel command line word kiosk.image-test=1
# (kiosk-headless-generator: the kiosk draws offscreen, kiosk-image-test.service waits for
# kiosk.service to be READY, prints KIOSK-IMAGE-TEST lines on the serial console and powers
# off). The disk is opened with snapshot=on: the image file is never changed.
# Prints boot-to-READY seconds. `make image-test IMAGE_ARCH=arm64` runs it.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
img=${1:-$repo/build/image/kiosk-arm64.raw}
out=$repo/build/image
log=$out/image-test-arm64.log
limit_s=${KIOSK_IMAGE_TEST_LIMIT_S:-1500}
[ -e "$img" ] || { echo "No image at $img; run make image IMAGE_ARCH=arm64 first." >&2; exit 1; }
need=()
command -v qemu-system-aarch64 >/dev/null || need+=(qemu-system-arm)
command -v mcopy >/dev/null || need+=(mtools)
command -v sfdisk >/dev/null || need+=(fdisk)
if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${need[@]}"
  else
    echo "Missing ${need[*]}. Run: sudo apt-get install -y ${need[*]}" >&2; exit 1
  fi
fi

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

rm -f "$log"
start_s=$(date +%s.%N)
qemu-system-aarch64 -M virt -cpu cortex-a72 -accel tcg -smp 2 -m 2048 \
  -kernel "$tmp/vmlinuz" -initrd "$tmp/initrd.img" -append "$append" \
  -drive if=none,id=disk,format=raw,file="$img",snapshot=on -device virtio-blk-pci,drive=disk \
  -nic none -display none -monitor none -no-reboot \
  -serial file:"$log" &
qemu=$!
ready_wall_s=
while kill -0 "$qemu" 2>/dev/null; do
  now_s=$(date +%s.%N)
  if [ -z "$ready_wall_s" ] && grep -aq 'KIOSK-IMAGE-TEST: READY' "$log" 2>/dev/null; then
    ready_wall_s=$(echo "$now_s - $start_s" | bc)
  fi
  if [ "$(echo "$now_s - $start_s > $limit_s" | bc)" = 1 ]; then
    echo "qemu still running after $limit_s s; stopping it" >&2
    kill "$qemu"; break
  fi
  sleep 1
done
wait "$qemu" || true
end_s=$(date +%s.%N)
grep -a 'KIOSK-IMAGE-TEST' "$log" | sed 's/\r$//' || true
if ! grep -aq 'KIOSK-IMAGE-TEST: READY' "$log"; then
  echo "kiosk.service did not reach READY on arm64; serial log: $log" >&2
  tail -40 "$log" >&2
  exit 1
fi
[ -n "$ready_wall_s" ] || ready_wall_s=$(echo "$end_s - $start_s" | bc)
guest_s=$(grep -ao 'ready_s=[0-9.]*' "$log" | head -1 | cut -d= -f2)
printf '{"arch": "arm64", "boot_to_ready_wall_s": %.1f, "ready_since_kernel_s": %s, "total_wall_s": %.1f, "log": "build/image/image-test-arm64.log"}\n' \
  "$ready_wall_s" "${guest_s:-null}" "$(echo "$end_s - $start_s" | bc)" | tee "$out/image-test-arm64.json"
