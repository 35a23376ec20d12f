SHELL := /bin/bash
# Two commands for a newcomer: `make run` and `make test`. Each installs what it needs on first
# use and nothing on a second run.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEB_PACKAGES := python3-venv libzbar0 xvfb xauth libgl1 libegl1 libmtdev1 libgles2 fonts-dejavu-core
# Test-only: a real PostgreSQL for the hub's PostgreSQL tests (tests/pgserver.py starts its own
# server on 127.0.0.1; `make run` never installs it).
TEST_DEB_PACKAGES := postgresql
TEST_DEB_PACKAGES += chromium  # the console page's browser tests (tests/console), driven by Playwright
TEST_DEB_PACKAGES += systemd  # systemd-analyze verify/security on the units (tests/systemd); absent on a bare Debian image
TEST_DEB_PACKAGES += systemd-container  # the units booted under real systemd (tests/systemd/test_nspawn.py)
TEST_DEB_PACKAGES += rauc squashfs-tools e2fsprogs dosfstools mtools openssl shellcheck  # update bundle build, signature check and backend scripts (tests/updates)

.PHONY: run test test-boot lint typecheck bench clean system-deps test-system-deps image image-test image-check

run: $(STAMP)
	$(VENV)/bin/kiosk run $(ARGS)

test: $(STAMP) test-system-deps
	$(VENV)/bin/ruff check kiosk hardware tests bench
	$(VENV)/bin/mypy
	$(PY) -m pytest $(PYTEST_ARGS)

# Only the tests that boot the host's OS under systemd-nspawn (tests/systemd/test_nspawn.py: the
# units and the health gate under real systemd; one boot, under a minute, nothing to build or
# cache). `make test` runs them too; this is the shortcut.
test-boot: $(STAMP) test-system-deps
	$(PY) -m pytest -m boot tests/systemd $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check kiosk hardware tests bench

typecheck: $(STAMP)
	$(VENV)/bin/mypy

BENCHES := bench/basket_events.py bench/catalog.py bench/scan_to_line.py bench/camera_decode.py bench/ui_startup.py bench/ui_scan_to_frame.py bench/payment.py bench/offline_capacity.py bench/hub_catchup.py bench/hub_load.py\ --seconds\ 10\ --prefill\ 5000 bench/console_approve.py\ --samples\ 50\ --browser-samples\ 10

bench: $(STAMP)
	for b in $(BENCHES); do echo "== $$b"; $(PY) $$b || exit 1; done

# The appliance image (provisioning/mkosi; not part of `make test`, root only). `make image`
# installs its own tools once (a bookworm chroot with mkosi 24.3 from bookworm-backports under
# $(IMAGE_TOOLS), debootstrap, qemu, OVMF), builds build/image/kiosk-$(IMAGE_ARCH).raw and prints
# its size and build time. `make image-test` boots the x86-64 image under qemu (TCG) and checks
# that kiosk.service reached READY headless; it prints boot-to-READY seconds. `make image-test
# FIRSTBOOT=1` proves first boot end to end instead (x86-64: a real hub on 127.0.0.1, the
# provisioning file on the ESP, enrolment, the sealed token, a second boot of the same disk).
IMAGE_ARCH  ?= x86-64
IMAGE_TOOLS ?= /var/tmp/kiosk-mkosi-tools

image: $(STAMP)
	KIOSK_MKOSI_TOOLS=$(IMAGE_TOOLS) PYTHON=$(abspath $(PY)) provisioning/mkosi/build.sh $(IMAGE_ARCH)

image-test:
	provisioning/mkosi/image-test$(if $(filter arm64,$(IMAGE_ARCH)),-arm64).sh $(if $(filter 1,$(FIRSTBOOT)),--firstboot)

# arm64: `make image-test IMAGE_ARCH=arm64` boots the Pi image's own kernel and root A under
# qemu-system-aarch64 -M virt (not the Pi firmware); with FIRSTBOOT=1 it boots one copy of the
# disk twice and checks the machine-id is kept (no hub: enrolment is tested on x86-64 only).
# `make image-check` checks its partitions against what a Pi 4 needs (build.sh runs it after an
# arm64 build). KIOSK_RPI_FIRMWARE_DIR=<dir> (make image) puts newer Pi firmware in boot-a.
image-check:
	provisioning/mkosi/check-arm64-image.sh

# A signed RAUC update bundle (provisioning/rauc/make-bundle, checked by check-bundle):
# `make bundle ROOTFS=DIR|FILE.ext4 BOOT=DIR|FILE.vfat [CERT=... KEY=...]`. Without CERT and KEY
# it signs with a development key made once in build/rauc/dev-keys: for tests, never for a fleet
# (docs/appliance.md, "Updates"). Needs rauc and squashfs-tools (the test-only packages above).
BUNDLE_OUT ?= build/rauc/kiosk.raucb
.PHONY: bundle
bundle:
	@test -n "$(ROOTFS)" -a -n "$(BOOT)" || { echo "make bundle needs ROOTFS=DIR|FILE.ext4 and BOOT=DIR|FILE.vfat (one slot's root and boot partition)" >&2; exit 2; }
	provisioning/rauc/make-bundle --rootfs "$(ROOTFS)" --boot "$(BOOT)" --out "$(BUNDLE_OUT)" $(if $(CERT),--cert "$(CERT)" --key "$(KEY)")

# Debian packages: installed when we are root, otherwise named in one line to run by hand.
system-deps:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done | tr '\n' ' '); \
	if [ -n "$${missing// /}" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian packages: $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else \
	    echo "Missing Debian packages. Run: sudo apt-get install -y $$missing" >&2; exit 1; \
	  fi; \
	fi

# Test-only Debian packages: installed when we are root; otherwise a note (the tests that need
# them are skipped, saying how to install them; in CI that is a failure).
test-system-deps:
	@missing=$$(for p in $(TEST_DEB_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done | tr '\n' ' '); \
	if [ -n "$${missing// /}" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian packages for the tests: $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else \
	    echo "Not installed (their tests will be skipped): $$missing. Run: sudo apt-get install -y $$missing" >&2; \
	  fi; \
	fi

$(STAMP): pyproject.toml
	@$(MAKE) --no-print-directory system-deps
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info
