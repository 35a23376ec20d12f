#!/bin/bash
# shellcheck disable=SC2317  # (functions run through check/soft look unreachable to it)
# Checks a built arm64 Raspberry Pi image against what a Pi 4 needs, by reading the partitions
# straight out of the .raw at their offsets (loop devices on the build VMs show no partitions):
# sfdisk for the table, mtools for the FAT partitions, debugfs for the ext4 ones. No mounts,
# no root needed, the image is only read. build.sh runs it after an arm64 build;
# `make image-check IMAGE_ARCH=arm64` runs it alone.
# Prints one line per check (ok / warn / FAIL) and exits 1 if any check failed.
# Usage: check-arm64-image.sh [IMAGE]   (default build/image/kiosk-arm64.raw)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
img=${1:-$repo/build/image/kiosk-arm64.raw}
[ -e "$img" ] || { echo "No image at $img; run make image IMAGE_ARCH=arm64 first." >&2; exit 1; }
for tool in sfdisk mtype mdir debugfs python3; do
  command -v "$tool" >/dev/null || {
    echo "check-arm64-image needs $tool: apt-get install fdisk mtools e2fsprogs python3" >&2; exit 1; }
done
failed=0
ok() { echo "ok:   $*"; }
warn() { echo "warn: $*"; }
fail() { echo "FAIL: $*"; failed=1; }
# check OK-TEXT FAIL-TEXT COMMAND...: ok or FAIL by the command's exit status; soft: warn, not FAIL.
check() { local good=$1 bad=$2; shift 2; if "$@"; then ok "$good"; else fail "$bad"; fi; }
soft() { local good=$1 bad=$2; shift 2; if "$@"; then ok "$good"; else warn "$bad"; fi; }
not() { ! "$@"; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# --- partition table ---------------------------------------------------------------------------
sfdisk -J "$img" > "$tmp/table.json"
table_label=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["partitiontable"]["label"])' "$tmp/table.json")
# "number name start_byte size_byte type" per partition
python3 - "$tmp/table.json" > "$tmp/parts" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))["partitiontable"]
sector = t.get("sectorsize", 512)
for n, p in enumerate(t["partitions"], 1):
    print(n, p.get("name", "-") or "-", p["start"] * sector, p["size"] * sector, p["type"])
PY
part() { awk -v n="$1" '$2 == n { print $'"$2"' }' "$tmp/parts"; }   # part NAME FIELD
expected="autoboot boot-a boot-b rootfs-a rootfs-b data"
actual=$(awk '{ print $2 }' "$tmp/parts" | tr '\n' ' ' | sed 's/ $//')
if [ "$actual" = "$expected" ]; then
  ok "partitions 1-6 are $expected ($table_label)"
else
  fail "partitions are '$actual', expected '$expected'"
fi
if [ "$table_label" = gpt ]; then
  warn "GPT: the Pi 4 EEPROM boots GPT, but autoboot.txt boot_partition=2/3 on GPT needs a start4.elf" \
    "from 2025-02 or later (rpi-eeprom#654, #668; build with KIOSK_RPI_FIRMWARE_DIR=<dir>), slot A" \
    "included (partition 2); Debian's raspi-firmware is older (see below)"
fi
fat() { echo "$img@@$(part "$1" 3)"; }          # mtools image spec for partition NAME
ext() { echo "$img?offset=$(part "$1" 3)"; }    # debugfs device spec for partition NAME
num() { part "$1" 1; }

# --- partition 1: autoboot.txt -----------------------------------------------------------------
if mtype -i "$(fat autoboot)" ::autoboot.txt > "$tmp/autoboot.txt" 2>/dev/null; then
  size=$(stat -c %s "$tmp/autoboot.txt")
  check "autoboot.txt is $size bytes (the firmware reads at most 512)" \
    "autoboot.txt is $size bytes; the firmware reads only 512 (comments count)" [ "$size" -le 512 ]
  all_part=$(awk '/^\[/{s=$0} s=="[all]" && /^boot_partition=/{split($0,a,"="); print a[2]}' "$tmp/autoboot.txt")
  try_part=$(awk '/^\[/{s=$0} s=="[tryboot]" && /^boot_partition=/{split($0,a,"="); print a[2]}' "$tmp/autoboot.txt")
  check "autoboot.txt: tryboot_a_b=1" "autoboot.txt: no tryboot_a_b=1" grep -q '^tryboot_a_b=1' "$tmp/autoboot.txt"
  check "autoboot.txt: [all] boot_partition=$all_part is boot-a" \
    "autoboot.txt: [all] boot_partition='$all_part', boot-a is partition $(num boot-a)" [ "$all_part" = "$(num boot-a)" ]
  check "autoboot.txt: [tryboot] boot_partition=$try_part is boot-b" \
    "autoboot.txt: [tryboot] boot_partition='$try_part', boot-b is partition $(num boot-b)" [ "$try_part" = "$(num boot-b)" ]
else
  fail "no autoboot.txt on partition 1"
fi

# --- partition 2: boot slot A ------------------------------------------------------------------
mdir -b -i "$(fat boot-a)" :: 2>/dev/null | sed 's|^::/||' > "$tmp/boot-a.ls" || true
for f in start4.elf fixup4.dat bcm2711-rpi-4-b.dtb config.txt cmdline.txt vmlinuz initrd.img; do
  check "boot-a has $f" "boot-a has no $f" grep -qx "$f" "$tmp/boot-a.ls"
done
mtype -i "$(fat boot-a)" ::config.txt > "$tmp/config.txt" 2>/dev/null || true
for line in arm_64bit=1 kernel=vmlinuz 'initramfs initrd.img followkernel'; do
  check "config.txt: $line" "config.txt lacks '$line'" grep -qx "$line" "$tmp/config.txt"
done
mtype -i "$(fat boot-a)" ::cmdline.txt > "$tmp/cmdline.txt" 2>/dev/null || true
one_root_line() { [ "$(wc -l < "$tmp/cmdline.txt")" -le 1 ] && grep -q 'root=PARTLABEL=rootfs-a ' "$tmp/cmdline.txt"; }
check "cmdline.txt: one line, root=PARTLABEL=rootfs-a" "cmdline.txt: not one line with root=PARTLABEL=rootfs-a" one_root_line
mcopy -n -i "$(fat boot-a)" ::vmlinuz "$tmp/vmlinuz" 2>/dev/null || true
if [ -s "$tmp/vmlinuz" ]; then
  magic=$(od -An -tx1 -j56 -N4 "$tmp/vmlinuz" | tr -d ' ')   # arm64 Image header "ARM\x64"
  gz=$(od -An -tx1 -N2 "$tmp/vmlinuz" | tr -d ' ')
  if [ "$magic" = 41524d64 ]; then ok "vmlinuz is an arm64 Image ($(($(stat -c %s "$tmp/vmlinuz") / 1048576)) MB)"
  elif [ "$gz" = 1f8b ]; then ok "vmlinuz is a gzip-compressed kernel (the Pi 4 firmware inflates it)"
  else fail "vmlinuz is neither an arm64 Image nor gzip"; fi
fi
# --- partition 3: boot slot B, empty FAT ---------------------------------------------------------
if mdir -i "$(fat boot-b)" :: > "$tmp/boot-b.ls" 2>&1; then
  files=$(mdir -b -i "$(fat boot-b)" :: 2>/dev/null | wc -l)
  soft "boot-b is an empty FAT file system" "boot-b holds $files files" [ "$files" = 0 ]
else
  fail "boot-b is not a FAT file system"
fi

# --- partition 4: root A -----------------------------------------------------------------------
root=$(ext rootfs-a)
rcat() { debugfs -R "cat $1" "$root" 2>/dev/null; }
rexists() { debugfs -R "stat $1" "$root" 2>&1 | grep -q '^Inode:'; }
if debugfs -R 'stats' "$root" 2>/dev/null | grep -q '^Filesystem state:'; then
  ok "rootfs-a is ext4"
else
  fail "rootfs-a is not an ext4 file system"
fi
rcat /usr/lib/kiosk-release > "$tmp/kiosk-release" || true
check "rootfs-a: /usr/lib/kiosk-release says arm64 (commit $(sed -n 's/^KIOSK_COMMIT=//p' "$tmp/kiosk-release"))" \
  "rootfs-a: no arm64 /usr/lib/kiosk-release" grep -qx 'KIOSK_IMAGE_ARCHITECTURE=arm64' "$tmp/kiosk-release"
check "rootfs-a: the kiosk venv (/opt/kiosk/venv/bin/kiosk)" "rootfs-a: no /opt/kiosk/venv/bin/kiosk" \
  rexists /opt/kiosk/venv/bin/kiosk
# The read-only root must carry the mount point of partition 1 (fstab: /boot/autoboot).
check "rootfs-a: /boot/autoboot exists (mount point of partition 1)" \
  "rootfs-a: no /boot/autoboot: partition 1 cannot be mounted on the read-only root (an ESP-type partition 1 makes repart empty /boot)" \
  rexists /boot/autoboot
# kiosk firstboot looks for kiosk-provision.toml in /boot/firmware: it must lead to partition 1
# (raspi-firmware ships it as a directory; mkosi.finalize replaces that with the link).
firmware_link() { debugfs -R 'stat /boot/firmware' "$root" 2>/dev/null | grep -q 'Fast link dest: "autoboot"'; }
check "rootfs-a: /boot/firmware -> autoboot" "rootfs-a: /boot/firmware is not the link to autoboot: first boot will not find kiosk-provision.toml" \
  firmware_link
debugfs -R 'dump /usr/bin/python3.11 '"$tmp/python" "$root" >/dev/null 2>&1 || true
machine=$(od -An -tx1 -j18 -N2 "$tmp/python" 2>/dev/null | tr -d ' ')
check "rootfs-a: /usr/bin/python3.11 is an aarch64 ELF" "rootfs-a: /usr/bin/python3.11 is not aarch64 (e_machine $machine)" \
  [ "$machine" = b700 ]
# Every unit of the repo's systemd/ with an [Install] section is enabled where it says, unless
# the image's preset (mkosi.extra/.../10-kiosk.preset) disables it (the hub: store server only).
preset=$repo/provisioning/mkosi/mkosi.extra/usr/lib/systemd/system-preset/10-kiosk.preset
for unit in "$repo"/systemd/*.service "$repo"/systemd/*.timer; do
  target=$(sed -n 's/^WantedBy=//p' "$unit" | head -1)
  [ -n "$target" ] || continue
  u=$(basename "$unit")
  if grep -qx "disable $u" "$preset" 2>/dev/null; then
    check "rootfs-a: $u not enabled (the preset disables it)" "rootfs-a: $u is enabled but the preset disables it" \
      not rexists "/etc/systemd/system/$target.wants/$u"
  else
    check "rootfs-a: $u enabled ($target)" "rootfs-a: $u is not enabled in $target.wants" \
      rexists "/etc/systemd/system/$target.wants/$u"
  fi
done
# No machine-id of the build machine: empty (each device's PID 1 makes or restores its own,
# see mkosi.finalize) or "uninitialized"; never a 32-hex id shared by a fleet.
mid=$(rcat /etc/machine-id || true)
check "rootfs-a: /etc/machine-id holds no id ('${mid:-empty}')" "rootfs-a: /etc/machine-id holds an id ($mid)" \
  not grep -qE '^[0-9a-f]{32}$' <<< "$mid"
for f in /etc/ssh/ssh_host_rsa_key /etc/ssh/ssh_host_ed25519_key /etc/ssh/ssh_host_ecdsa_key \
         /var/lib/systemd/credential.secret /var/lib/systemd/random-seed; do
  if rexists "$f"; then fail "rootfs-a: $f is in the image"; fi
done
# repart's ExcludeFiles=/usr/lib/kiosk/rpi/ (trailing slash) keeps the directory, empty.
staged() { debugfs -R 'ls /usr/lib/kiosk/rpi' "$root" 2>/dev/null | tr -s ' ' '\n' | grep -qvx -e '' -e . -e .. -e '[0-9]*' -e '([0-9]*)'; }
if staged; then fail "rootfs-a: the firmware staging /usr/lib/kiosk/rpi is in the root"; fi
ok "rootfs-a: no ssh host keys, credential.secret, random-seed or firmware staging"
var_empty() { ! debugfs -R 'ls /var' "$root" 2>/dev/null | tr -s ' ' '\n' | grep -qvx -e '' -e . -e .. -e '[0-9]*' -e '([0-9]*)'; }
soft "rootfs-a: /var is an empty mount point (the data partition)" "rootfs-a: /var is not empty" var_empty
soft "rootfs-a: /etc/rauc/system.conf" "rootfs-a: no RAUC system.conf" rexists /etc/rauc/system.conf
soft "rootfs-a: RAUC keyring" "rootfs-a: no RAUC keyring (KIOSK_RAUC_KEYRING unset): this image refuses every update bundle" \
  rexists /etc/rauc/keyring.pem

# --- partition 5: root B, empty; partition 6: data (/var) ----------------------------------------
if [ "$(head -c 1M < <(tail -c +"$(( $(part rootfs-b 3) + 1 ))" "$img") | tr -d '\0' | wc -c)" = 0 ]; then
  ok "rootfs-b is empty (its first MB is zeros)"
else
  fail "rootfs-b is not empty"
fi
data=$(ext data)
dexists() { debugfs -R "stat $1" "$data" 2>&1 | grep -q '^Inode:'; }
check "data: /var/lib/kiosk is there (tmpfiles at build time)" "data: no /var/lib/kiosk" dexists /lib/kiosk
for f in /lib/systemd/credential.secret /lib/systemd/random-seed /lib/dbus/machine-id; do
  if dexists "$f"; then fail "data: /var$f is in the image"; fi
done
ok "data: no credential.secret, random-seed or dbus machine-id"
# /var in the Pi's initrd (initramfs/kiosk-var; initramfs-tools ignores x-initrd.mount): the
# script installed for update-initramfs, and in boot-a's initrd with its local-bottom ORDER line
# (the appended archive; gzip -dc reads all concatenated members).
check "rootfs-a: /etc/initramfs-tools/scripts/local-bottom/kiosk-var" "rootfs-a: no initramfs-tools kiosk-var script" \
  rexists /etc/initramfs-tools/scripts/local-bottom/kiosk-var
mcopy -n -i "$(fat boot-a)" ::initrd.img "$tmp/initrd.img"
initrd_mounts_var() {
  { gzip -dc "$tmp/initrd.img" 2>/dev/null || true; } | grep -aq '/scripts/local-bottom/kiosk-var "\$@"'
}
check "boot-a: initrd.img mounts the data partition on /var (local-bottom/kiosk-var in ORDER)" \
  "boot-a: initrd.img does not run local-bottom/kiosk-var: the machine-id will change on every boot" initrd_mounts_var
# The firmware's own build date (dpkg's status is not in the image: CleanPackageMetadata=yes),
# and whose blobs they are (KIOSK_RPI_FIRMWARE_DIR at build time, recorded in kiosk-release).
mcopy -n -i "$(fat boot-a)" ::start4.elf "$tmp/start4.elf" 2>/dev/null || true
fw=$(strings "$tmp/start4.elf" 2>/dev/null | sed -n 's/^VC_BUILD_ID_TIME: \([A-Z][a-z][a-z] .*\)/\1/p' | head -1)
echo "info: start4.elf built ${fw:-?} (autoboot.txt partition switching on GPT was fixed in start.elf of 2025-02)"
echo "info: firmware source: $(rcat /usr/lib/kiosk-release | sed -n 's/^KIOSK_RPI_FIRMWARE=//p' | grep . || echo 'not recorded')"
if [ "$failed" = 0 ]; then echo "check-arm64-image: all checks passed ($img)"; else echo "check-arm64-image: FAILED ($img)"; fi
exit "$failed"
