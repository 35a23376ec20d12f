# shellcheck shell=bash
# Shared by the image scripts (sourced by tools.sh, binfmt-arm64.sh, image-test.sh and
# image-test-arm64.sh): Debian packages, one qemu boot watched on its serial log, and the
# KIOSK-IMAGE-TEST report's fields and checks.

# need_packages PKG...: install the Debian packages that are missing (as root; other builds on
# this machine may hold the dpkg lock: wait for it rather than fail); without root, name the
# apt line and exit 1.
need_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  [ "${#missing[@]}" -gt 0 ] || return 0
  if [ "$(id -u)" != 0 ]; then
    echo "Missing ${missing[*]}. Run: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "Installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq \
    --no-install-recommends "${missing[@]}"
}

# boot_qemu LOG LIMIT_S QEMU-COMMAND...: one boot; the command's serial port must write LOG.
# Runs until the guest powers off (or LIMIT_S pass: then qemu is stopped), sets ready_wall_s
# (qemu start to the READY line appearing) and total_wall_s, prints the report's lines, and
# returns 1 when there is no READY line.
boot_qemu() {
  local log=$1 limit_s=$2 start_s now_s qemu
  shift 2
  rm -f "$log"
  start_s=$(date +%s.%N)
  "$@" &
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
  total_wall_s=$(echo "$(date +%s.%N) - $start_s" | bc)
  grep -a 'KIOSK-IMAGE-TEST' "$log" | sed 's/\r$//' || true
  if ! grep -aq 'KIOSK-IMAGE-TEST: READY' "$log"; then
    echo "kiosk.service did not reach READY; serial log: $log" >&2
    tail -40 "$log" >&2
    return 1
  fi
  [ -n "$ready_wall_s" ] || ready_wall_s=$total_wall_s
}

# field LOG NAME: the rest of the first "KIOSK-IMAGE-TEST: NAME ..." line.
field() {
  grep -a "KIOSK-IMAGE-TEST: $2 " "$1" | head -1 | sed 's/\r$//' | awk -v k="KIOSK-IMAGE-TEST: $2 " '{ print substr($0, index($0, k) + length(k)) }' || true
}
# guest_ready LOG: the guest's own seconds from kernel start to READY ("null" when absent).
guest_ready() {
  local g
  g=$(grep -ao 'ready_s=[0-9.]*' "$1" | head -1 | cut -d= -f2 || true)
  echo "${g:-null}"
}

# check DESCRIPTION ACTUAL EXPECTED: prints ok or FAILED; failures collects what failed.
failures=()
check() {
  if [ "$2" = "$3" ]; then echo "ok: $1 ($2)"; else echo "FAILED: $1: got '$2', expected '$3'"; failures+=("$1"); fi
}
