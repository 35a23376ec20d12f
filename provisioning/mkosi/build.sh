#!/bin/bash
# Builds the appliance image: build.sh [x86-64|arm64]  (default x86-64; `make image` runs it).
# KIOSK_RAUC_KEYRING=<path in the repo>: the RAUC keyring for the arm64 image (see mkosi.postinst).
# KIOSK_RPI_FIRMWARE_DIR=<dir>: arm64 only, start4.elf + fixup4.dat (+ optional bcm2711 DTBs)
#   from raspberrypi/firmware's boot/ folder to put in boot-a instead of Debian's (mkosi.finalize).
# 1. the tools (tools.sh: a cached bookworm chroot with mkosi 24.3 + systemd 254),
# 2. a wheelhouse of the repo and its dependencies for the target (pip on this machine, from
#    PyPI), so the image installs the kiosk with no network and the device needs none,
# 3. mkosi inside the tools chroot, output in build/image/. Prints size and build time.
set -euo pipefail
arch=${1:-x86-64}
repo=$(cd "$(dirname "$0")/../.." && pwd)
tools=${KIOSK_MKOSI_TOOLS:-/var/tmp/kiosk-mkosi-tools}
python=${PYTHON:-$repo/.venv/bin/python}
out=$repo/build/image
case $arch in
  x86-64) pip_platform=() ;;
  arm64)  pip_platform=(--platform manylinux2014_aarch64 --platform manylinux_2_28_aarch64
                        --python-version 3.11 --implementation cp --abi cp311 --only-binary=:all:) ;;
  *) echo "Unknown architecture '$arch'; use x86-64 or arm64." >&2; exit 2 ;;
esac
start_s=$(date +%s)
"$repo/provisioning/mkosi/tools.sh" "$tools"

commit=$(git -C "$repo" rev-parse --short=12 HEAD)
git -C "$repo" diff --quiet HEAD -- kiosk systemd provisioning pyproject.toml || commit="$commit-dirty"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$repo/pyproject.toml" | head -1)

echo "== wheelhouse for $arch"
wheels=$out/wheels-$arch
rm -rf "$wheels"; mkdir -p "$wheels"
"$python" -m pip wheel -q --no-deps --wheel-dir "$wheels" "$repo"
"$python" -m pip download -q "${pip_platform[@]}" --dest "$wheels" "$(ls "$wheels"/open_selfcheckout-*.whl)"
if [ "$arch" = x86-64 ]; then
  # sdist-only dependencies (none today) would be built here into wheels for the image.
  "$python" -m pip wheel -q --wheel-dir "$wheels" --find-links "$wheels" "$(ls "$wheels"/open_selfcheckout-*.whl)"
fi

fw_rel=
if [ "$arch" = arm64 ]; then
  "$repo/provisioning/mkosi/binfmt-arm64.sh"
  rm -rf "$out/rpi-firmware"
  if [ -n "${KIOSK_RPI_FIRMWARE_DIR:-}" ]; then
    # Copied into the repository's build folder: mkosi sees only the repository (at /src).
    fwdir=$KIOSK_RPI_FIRMWARE_DIR
    for f in start4.elf fixup4.dat; do
      [ -s "$fwdir/$f" ] || { echo "KIOSK_RPI_FIRMWARE_DIR=$fwdir has no $f" >&2; exit 2; }
    done
    mkdir -p "$out/rpi-firmware"
    cp "$fwdir"/start4*.elf "$fwdir"/fixup4*.dat "$out/rpi-firmware/"
    cp "$fwdir"/bcm2711*.dtb "$out/rpi-firmware/" 2>/dev/null || true
    fw_rel=build/image/rpi-firmware
  fi
fi

echo "== mkosi $arch (commit $commit)"
rm -f "$out/kiosk-$arch".*
# mkosi runs in the tools chroot, in a private mount namespace (the mounts vanish with it):
# /proc, /sys, /dev, tmpfs /run and /tmp, the chroot bind-mounted onto itself (else
# `findmnt --target /` fails inside) and the repository at /src.
unshare -m --propagation private bash -euo pipefail -c '
  t=$1 repo=$2; shift 2
  mount --bind "$t" "$t"
  mount -t proc proc "$t/proc"
  mount --rbind /sys "$t/sys"; mount --make-rslave "$t/sys"
  mount --rbind /dev "$t/dev"; mount --make-rslave "$t/dev"
  mount -t tmpfs tmpfs "$t/run"; mount -t tmpfs tmpfs "$t/tmp"
  mkdir -p "$t/src" "$t/var/cache/kiosk-mkosi"
  mount --bind "$repo" "$t/src"
  exec chroot "$t" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb \
    bash -c "cd /src/provisioning/mkosi && exec mkosi \"\$@\"" mkosi "$@"
' - "$tools" "$repo" \
  --force --incremental --architecture="$arch" --image-version="$version-$commit" \
  --output="kiosk-$arch" --output-dir=/src/build/image --cache-dir=/var/cache/kiosk-mkosi \
  --environment=KIOSK_COMMIT="$commit" --environment=KIOSK_VERSION="$version" \
  --environment=KIOSK_RAUC_KEYRING="${KIOSK_RAUC_KEYRING:-}" \
  --environment=KIOSK_RPI_FIRMWARE_DIR="$fw_rel" \
  build

img=$out/kiosk-$arch.raw
end_s=$(date +%s)
size_b=$(stat -c %s "$img")
used_b=$(( $(stat -c %b "$img") * $(stat -c %B "$img") ))
printf '{"image": "%s", "arch": "%s", "commit": "%s", "size_mb": %d, "allocated_mb": %d, "build_s": %d}\n' \
  "build/image/kiosk-$arch.raw" "$arch" "$commit" $((size_b / 1048576)) $((used_b / 1048576)) \
  $((end_s - start_s)) | tee "$out/kiosk-$arch.build.json"
if [ "$arch" = arm64 ]; then
  # The Pi image's partitions against what a Pi 4 needs (also `make image-check`).
  "$repo/provisioning/mkosi/check-arm64-image.sh" "$img"
fi
