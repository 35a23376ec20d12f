"""A minimal Debian tree booted with `systemd-nspawn -b`, for the unit tests under real systemd.

The tree is debootstrap's minbase bookworm plus systemd as PID 1, Debian's python3 and the GL
libraries Kivy's bundled SDL2 needs to draw offscreen (software GL through Mesa's llvmpipe). It is
built once into /var/tmp/kiosk-nspawn-<hash of the package list>/ and reused; every boot runs
on a throw-away tmpfs overlay (`--volatile=overlay`), so a run never sees the last run's journal.

The kiosk is not installed into the tree: the repository and its venv are bind-mounted read-only
at the paths they have on the host (the venv also at the appliance's /opt/kiosk/venv), with the
venv's base Python when it lives outside /usr (a pyenv build on a developer's machine; in CI it
is Debian's /usr/bin/python3, which the tree has too). The recipe (unshare + a tmpfs /run +
`--register=no --keep-unit`) is the one that worked here: docs/appliance.md, "Tested under real
systemd".

    python -m tests.systemd.nspawn_tree    build (or find) the tree and print its path and time
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
# systemd as PID 1 and Debian's python3 (the venv's interpreter in CI); the rest is what Kivy's
# SDL2 loads to draw offscreen with software GL (the Makefile's run-time list, plus Mesa's
# EGL/DRI drivers that --no-install-recommends would leave out) and pyzbar's libzbar.
PACKAGES = (
    "systemd-sysv", "python3", "libgl1", "libegl1", "libgles2", "libegl-mesa0",
    "libgl1-mesa-dri", "libmtdev1", "libzbar0", "fonts-dejavu-core",
)
TREES_DIR = Path("/var/tmp")
INSTALL_LINE = "apt-get install -y debootstrap systemd-container"
BUILD_TIMEOUT_S = 900.0


def missing_reason() -> str | None:
    """Why the tree cannot be built or booted here (None when it can), with what to do."""
    if os.geteuid() != 0:
        return "booting a tree with systemd-nspawn needs root; run the tests as root"
    missing = [tool for tool in ("debootstrap", "systemd-nspawn", "unshare")
               if shutil.which(tool) is None]
    if missing:
        return f"{', '.join(missing)} not installed; run: {INSTALL_LINE}"
    return None


def tree_path() -> Path:
    """Where the tree for this package list lives (built or not)."""
    digest = hashlib.sha256(" ".join((SUITE, *PACKAGES)).encode()).hexdigest()[:12]
    return TREES_DIR / f"kiosk-nspawn-{digest}"


def ensure_tree() -> tuple[Path, float | None]:
    """The built tree and how long building it took in seconds (None: it was already built).

    Concurrent callers wait on a lock file; a half-built tree is never used (it is built under
    a temporary name and renamed when complete).
    """
    tree = tree_path()
    with open(f"{tree}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (tree / "etc" / "kiosk-nspawn-complete").exists():
            return tree, None
        started = time.monotonic()
        _build(tree)
        return tree, time.monotonic() - started


def _unmount_below(folder: Path) -> None:
    # A debootstrap that died may leave /proc or /sys mounted inside: never rmtree through them.
    with open("/proc/self/mounts") as mounts:
        points = [line.split()[1] for line in mounts]
    for point in sorted(points, reverse=True):
        if Path(point).is_relative_to(folder):
            subprocess.run(["umount", "-l", point], check=False)


def _build(tree: Path) -> None:
    partial = tree.with_name(tree.name + ".partial")
    _unmount_below(partial)
    shutil.rmtree(partial, ignore_errors=True)
    shutil.rmtree(tree, ignore_errors=True)
    result = subprocess.run(
        ["debootstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}", SUITE,
         str(partial), MIRROR],
        capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"debootstrap of {SUITE} into {partial} failed "
                           f"(exit {result.returncode}); its output ends:\n"
                           f"{(result.stdout + result.stderr)[-3000:]}")
    # The tree is only ever a test container: an empty machine-id makes systemd treat each boot
    # as a fresh machine without the first-boot prompt, and /root must be traversable by the
    # kiosk user when a developer's venv Python lives under /root (pyenv).
    (partial / "etc" / "machine-id").write_text("")
    (partial / "root").chmod(0o755)
    for mount_point in ("out", "opt/kiosk/venv"):
        (partial / mount_point).mkdir(parents=True, exist_ok=True)
    (partial / "etc" / "kiosk-nspawn-complete").write_text(" ".join(PACKAGES) + "\n")
    partial.rename(tree)


def python_prefix(venv: Path) -> Path | None:
    """The venv's base Python installation when it lies outside /usr (it must then be bound
    into the tree at the same path), else None."""
    home = ""
    for line in (venv / "pyvenv.cfg").read_text().splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "home":
            home = value.strip()
    if not home:
        return None
    prefix = Path(home).resolve().parent  # .../versions/3.11.7/bin -> .../versions/3.11.7
    return None if prefix.is_relative_to("/usr") else prefix


def boot_command(tree: Path, *, out_dir: Path, local_lib: Path, repo: Path,
                 venv: Path) -> list[str]:
    """The command that boots `tree` once on a tmpfs overlay and returns when it powers off.

    `local_lib` becomes /usr/local/lib in the container (unit files, drop-ins, sysusers),
    `out_dir` is /out (the probe's report).
    """
    binds = [f"--bind={out_dir}:/out", f"--bind-ro={local_lib}:/usr/local/lib",
             f"--bind-ro={repo}", f"--bind-ro={venv}:/opt/kiosk/venv"]
    if not venv.resolve().is_relative_to(repo.resolve()):
        binds.append(f"--bind-ro={venv}")
    prefix = python_prefix(venv)
    if prefix is not None:
        binds.append(f"--bind-ro={prefix}")
    nspawn = ["systemd-nspawn", "--quiet", "-D", str(tree), "--volatile=overlay",
              "--register=no", "--keep-unit", "--console=pipe", "-b", *binds]
    # nspawn refuses to clean up a /run on disk ("Attempted to remove disk file system"), so it
    # gets a private tmpfs /run in its own mount namespace.
    script = 'mount -t tmpfs tmpfs /run && exec "$@"'
    return ["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", *nspawn]


def run_boot(command: Sequence[str], timeout_s: float) -> tuple[int | None, str]:
    """Run a boot command: (exit status or None after a timeout kill, console output)."""
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        output, _ = proc.communicate(timeout=timeout_s)
        status: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the whole container goes with its session
        output, _ = proc.communicate()
        status = None
    return status, output.decode("utf-8", errors="replace")


if __name__ == "__main__":
    reason = missing_reason()
    if reason is not None:
        sys.exit(reason)
    path, built_s = ensure_tree()
    print(path, "already built" if built_s is None else f"built in {built_s:.0f} s")
