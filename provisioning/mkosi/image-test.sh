#!/bin/bash
# Boots build/image/kiosk-x86-64.raw under qemu (TCG: KVM fails on these build machines) with
# OVMF, asks the image for its test mode through an SMBIOS type-11 string
# (io.systemd.credential:kiosk.image-test=1: the kiosk draws offscreen, a report unit waits for
# kiosk.service to be READY, prints to the serial console and powers off), and checks the
# serial log. The disk is opened with snapshot=on: the image file is never changed.
# Prints boot-to-READY seconds (wall clock from qemu start to the READY line on the serial
# port, and the guest's own figure since kernel start). `make image-test` runs it.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
img=${1:-$repo/build/image/kiosk-x86-64.raw}
log=$repo/build/image/image-test.log
limit_s=${KIOSK_IMAGE_TEST_LIMIT_S:-900}
ovmf=/usr/share/ovmf/OVMF.fd
[ -e "$img" ] || { echo "No image at $img; run make image first." >&2; exit 1; }
if ! command -v qemu-system-x86_64 >/dev/null || [ ! -e "$ovmf" ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends qemu-system-x86 ovmf
  else
    echo "qemu or OVMF missing. Run: sudo apt-get install -y qemu-system-x86 ovmf" >&2; exit 1
  fi
fi
rm -f "$log"
start_s=$(date +%s.%N)
qemu-system-x86_64 -machine q35 -accel tcg -cpu max -smp 2 -m 2048 \
  -bios "$ovmf" \
  -drive if=virtio,format=raw,file="$img",snapshot=on \
  -smbios type=11,value=io.systemd.credential:kiosk.image-test=1 \
  -nic none -vga none -display none -monitor none -no-reboot \
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
  echo "kiosk.service did not reach READY; serial log: $log" >&2
  tail -40 "$log" >&2
  exit 1
fi
[ -n "$ready_wall_s" ] || ready_wall_s=$(echo "$end_s - $start_s" | bc)
guest_s=$(grep -ao 'ready_s=[0-9.]*' "$log" | head -1 | cut -d= -f2)
printf '{"boot_to_ready_wall_s": %.1f, "ready_since_kernel_s": %s, "total_wall_s": %.1f, "log": "build/image/image-test.log"}\n' \
  "$ready_wall_s" "${guest_s:-null}" "$(echo "$end_s - $start_s" | bc)" | tee "$repo/build/image/image-test.json"
