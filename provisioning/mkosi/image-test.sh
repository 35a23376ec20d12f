#!/bin/bash
# Boots build/image/kiosk-x86-64.raw under qemu (TCG: KVM fails on these build machines) with
# OVMF, asks the image for its test mode through an SMBIOS type-11 string
# (io.systemd.credential:kiosk.image-test=1: the kiosk draws offscreen, a report unit waits for
# kiosk.service to be READY, prints KIOSK-IMAGE-TEST lines to the serial console and powers off),
# and checks the serial log.
#
#   image-test.sh [IMAGE]              quick (`make image-test`): one boot, no network, the disk
#                                      opened with snapshot=on (the image file is never changed);
#                                      READY without enrolment.
#   image-test.sh --firstboot [IMAGE]  first boot end to end (`make image-test FIRSTBOOT=1`, two
#                                      boots, ~10 min): a real `kiosk hub` on 127.0.0.1, a one-time
#                                      code made with the hub's CLI, a sparse copy of the image
#                                      with kiosk-provision.toml written into its ESP (mtools),
#                                      qemu user networking (the guest reaches the host's 127.0.0.1
#                                      at 10.0.2.2). Boot 1: READY, the lane enrolled at the hub,
#                                      its token sealed with systemd-creds and equal to the hub's,
#                                      the provisioning file renamed .used. Boot 2 of the same
#                                      disk: the same machine-id, the first boot's journal still
#                                      there, still enrolled without the file, READY.
# Prints boot-to-READY seconds (wall clock from qemu start to the READY line on the serial
# port, and the guest's own figure since kernel start) as JSON in build/image/image-test.json.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
mode=quick
if [ "${1:-}" = --firstboot ]; then mode=firstboot; shift; fi
img=${1:-$repo/build/image/kiosk-x86-64.raw}
out=$repo/build/image
limit_s=${KIOSK_IMAGE_TEST_LIMIT_S:-900}
ovmf=/usr/share/ovmf/OVMF.fd
kiosk=${KIOSK_BIN:-$repo/.venv/bin/kiosk}
[ -e "$img" ] || { echo "No image at $img; run make image first." >&2; exit 1; }
# shellcheck source-path=SCRIPTDIR source=image-lib.sh
. "$repo/provisioning/mkosi/image-lib.sh"
need_packages qemu-system-x86 ovmf mtools

# boot DISK LOG SNAPSHOT NET: one boot of DISK (image-lib.sh's boot_qemu sets ready_wall_s and
# total_wall_s). NET is none or user.
boot() {
  local disk=$1 log=$2 snapshot=$3 net=$4 nic
  if [ "$net" = user ]; then nic=user,model=virtio-net-pci; else nic=none; fi
  boot_qemu "$log" "$limit_s" \
    qemu-system-x86_64 -machine q35 -accel tcg -cpu max -smp 2 -m 2048 \
    -bios "$ovmf" \
    -drive if=virtio,format=raw,file="$disk",snapshot="$snapshot" \
    -smbios type=11,value=io.systemd.credential:kiosk.image-test=1 \
    -nic "$nic" -vga none -display none -monitor none -no-reboot \
    -serial file:"$log"
}

if [ "$mode" = quick ]; then
  log=$out/image-test.log
  boot "$img" "$log" on none
  printf '{"boot_to_ready_wall_s": %.1f, "ready_since_kernel_s": %s, "total_wall_s": %.1f, "log": "build/image/image-test.log"}\n' \
    "$ready_wall_s" "$(guest_ready "$log")" "$total_wall_s" | tee "$out/image-test.json"
  exit 0
fi

# --- first boot, end to end ------------------------------------------------------------------
work=$out/firstboot
rm -rf "$work"; mkdir -p "$work"
lane="lane-img"

# The hub, on 127.0.0.1 only, with its own database; a one-time code made by its own CLI.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$kiosk" hub --db "$work/hub.sqlite" --store-id image-test --listen "127.0.0.1:$port" >"$work/hub.log" 2>&1 &
hub=$!
trap 'kill "$hub" 2>/dev/null || true' EXIT
for _ in $(seq 60); do
  python3 -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$port/api/v1/health', timeout=2)" 2>/dev/null && break
  kill -0 "$hub" 2>/dev/null || { cat "$work/hub.log" >&2; exit 1; }
  sleep 0.5
done
code=$("$kiosk" hub --db "$work/hub.sqlite" enrol-code --device "$lane" | tail -1)
hub_sql() { python3 -c 'import sqlite3, sys; print(*(r[0] for r in sqlite3.connect(sys.argv[1]).execute(sys.argv[2], sys.argv[3:])), sep="\n")' "$work/hub.sqlite" "$@"; }

# A sparse copy of the image (the original stays untouched) with the operator's file on its ESP.
disk=$work/disk.raw
cp --sparse=always "$img" "$disk"
esp_offset=$(python3 - "$disk" <<'PY'
import struct, sys
with open(sys.argv[1], "rb") as f:
    f.seek(512)
    hdr = f.read(92)
    assert hdr[:8] == b"EFI PART", "no GPT"
    entries_lba, count, size = struct.unpack_from("<QII", hdr, 72)
    f.seek(entries_lba * 512)
    for _ in range(count):
        e = f.read(size)
        name = e[56:128].decode("utf-16-le").rstrip("\0")
        if name == "esp":
            print(struct.unpack_from("<Q", e, 32)[0] * 512)
            break
    else:
        sys.exit("no partition labelled esp")
PY
)
cat > "$work/kiosk-provision.toml" <<TOML
# Written by provisioning/mkosi/image-test.sh --firstboot
hub_url = "http://10.0.2.2:$port"
enrol_code = "$code"
lane_id = "$lane"
TOML
mcopy -o -i "$disk@@$esp_offset" "$work/kiosk-provision.toml" ::kiosk-provision.toml
echo "== boot 1 of $disk (hub on 127.0.0.1:$port, guest sees it at 10.0.2.2:$port)"
boot "$disk" "$work/boot1.log" off user
ready1=$ready_wall_s total1=$total_wall_s
log1=$work/boot1.log
hub_token_sha=$(hub_sql "SELECT token_sha256 FROM devices WHERE device_id = ?" "$lane")
check "hub: the lane is enrolled" "$(hub_sql "SELECT count(*) FROM devices WHERE device_id = ?" "$lane")" 1
check "hub: the code is spent" "$(hub_sql "SELECT used_at IS NOT NULL FROM enrol_codes WHERE device_id = ?" "$lane")" 1
check "boot 1: boot partition (the ESP) mounted" "$(field "$log1" "boot partition")" "/efi /dev/vda1 vfat"
check "boot 1: enrolled" "$(field "$log1" enrolled)" yes
check "boot 1: device id" "$(field "$log1" device-id)" "$lane"
check "boot 1: sealed credential is the hub's token" \
  "$(field "$log1" credential | sed -n 's/^root 600 [0-9]* bytes, decrypts to sha256 //p')" "$hub_token_sha"
check "boot 1: kiosk.service got the token" "$(field "$log1" "kiosk.service credential")" "$hub_token_sha"
check "boot 1: no plain token" "$(field "$log1" "plain token")" absent
check "boot 1: provisioning file gone" "$(field "$log1" "provisioning file")" absent
check "boot 1: provisioning file renamed .used" "$(field "$log1" "provisioning used")" present
check "ESP after boot 1 (mdir)" \
  "$(mdir -b -i "$disk@@$esp_offset" :: | grep -c 'kiosk-provision.toml$' || true)/$(mdir -b -i "$disk@@$esp_offset" :: | grep -c 'kiosk-provision.toml.used$' || true)" 0/1
mid1=$(field "$log1" machine-id | cut -d' ' -f1)

echo "== boot 2 of the same disk"
boot "$disk" "$work/boot2.log" off user
ready2=$ready_wall_s total2=$total_wall_s
log2=$work/boot2.log
check "boot 2: same machine-id" "$(field "$log2" machine-id | cut -d' ' -f1)" "$mid1"
check "boot 2: one journal folder, the machine-id's" "$(field "$log2" "journal folders" | tr -d ' ')" "$mid1"
check "boot 2: the first boot's journal is still there" "$(field "$log2" "journal boots")" "$(( $(field "$log1" "journal boots") + 1 ))"
check "boot 2: first boot skipped (enrolled)" "$(field "$log2" "firstboot unit" | sed 's/.*condition //')" no
check "boot 2: still enrolled" "$(field "$log2" enrolled)" yes
check "boot 2: kiosk.service got the token" "$(field "$log2" "kiosk.service credential")" "$hub_token_sha"

printf '{"mode": "firstboot", "boot1_to_ready_wall_s": %.1f, "boot1_ready_since_kernel_s": %s, "boot1_total_wall_s": %.1f, "boot2_to_ready_wall_s": %.1f, "boot2_ready_since_kernel_s": %s, "boot2_total_wall_s": %.1f, "failed_checks": %d, "logs": "build/image/firstboot/boot1.log, boot2.log"}\n' \
  "$ready1" "$(guest_ready "$log1")" "$total1" "$ready2" "$(guest_ready "$log2")" "$total2" \
  "${#failures[@]}" | tee "$out/image-test-firstboot.json"
if [ "${#failures[@]}" -gt 0 ]; then
  echo "image-test --firstboot: ${#failures[@]} check(s) failed: ${failures[*]}; the disk is kept: $disk" >&2
  exit 1
fi
# The disk copy (1.4 GB allocated) only stays for a failed run or KIOSK_IMAGE_TEST_KEEP=1.
[ "${KIOSK_IMAGE_TEST_KEEP:-0}" = 1 ] || rm -f "$disk"
