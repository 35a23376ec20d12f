"""Boot the host's own OS under `systemd-nspawn -b`, for the unit tests under real systemd.

No tree is built: nspawn boots `/` with `--volatile=yes`, so the container's root is an empty
tmpfs with the host's /usr bound read-only (nspawn refuses `-D /` with `--volatile=overlay`, and
`--volatile=state` would leave /etc read-only, where systemd-sysusers must add the kiosk user).
PID 1 is the host's systemd (252 on bookworm, the appliance's), and the kiosk runs on the host's
Python and libraries: the same ones `make test` already uses. The empty /etc means none of the
host's enabled services exist in the container; the boot target is ours anyway
(`systemd.unit=` on init's command line, which systemd reads as its kernel command line in a
container), so only sysinit.target and what the probe starts run.

What the container needs besides /usr is bound in: the staged units and configuration under
/etc, /out for the probe's report, the repository read-only at its own path, its venv also at
the appliance's /opt/kiosk/venv, and the venv's base Python when it lives outside /usr (a pyenv
build on a developer's machine; in CI it is Debian's /usr/bin/python3). The recipe (unshare + a
tmpfs /run + `--register=no --keep-unit`) is the one that worked here: docs/appliance.md,
"Tested under real systemd".
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

INSTALL_LINE = "apt-get install -y systemd systemd-container"
# The host's systemd, run as PID 1 in the container.
INIT = Path("/usr/lib/systemd/systemd")


def missing_reason() -> str | None:
    """Why the host cannot be booted in a container here (None when it can), with what to do."""
    if os.geteuid() != 0:
        return "booting under systemd-nspawn needs root; run the tests as root"
    missing = [tool for tool in ("systemd-nspawn", "unshare") if shutil.which(tool) is None]
    if not INIT.exists():
        missing.append(str(INIT))
    if missing:
        return f"{', '.join(missing)} not installed; run: {INSTALL_LINE}"
    if not Path("/bin").is_symlink() or not Path("/lib").is_symlink():
        # --volatile=yes brings only /usr from the host: /bin and /lib must be links into it.
        return ("the host is not /usr-merged (/bin, /lib are directories); "
                "run: apt-get install usrmerge")
    return None


def python_prefix(venv: Path) -> Path | None:
    """The venv's base Python installation when it lies outside /usr (it must then be bound
    into the container at the same path), else None."""
    home = ""
    for line in (venv / "pyvenv.cfg").read_text().splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "home":
            home = value.strip()
    if not home:
        return None
    prefix = Path(home).resolve().parent  # .../versions/3.11.7/bin -> .../versions/3.11.7
    return None if prefix.is_relative_to("/usr") else prefix


def boot_command(*, etc: Mapping[str, Path], out_dir: Path, systemd_state: Path, repo: Path,
                 venv: Path, target: str) -> list[str]:
    """The command that boots the host's OS once on a tmpfs root and returns at power-off.

    `etc` maps paths under the container's /etc (e.g. "systemd/system") to staged folders bound
    there read-only; `out_dir` is /out; `target` is the unit systemd boots into.
    `systemd_state` becomes /var/lib/systemd and must be on disk: systemd-creds refuses to keep
    its host key on the container's tmpfs /var ("host key located on temporary file system"),
    where the appliance has its data partition.
    """
    binds = [f"--bind={out_dir}:/out", f"--bind={systemd_state}:/var/lib/systemd",
             f"--bind-ro={repo}",
             f"--bind-ro={venv}:/opt/kiosk/venv"]
    binds += [f"--bind-ro={source}:/etc/{inside}" for inside, source in etc.items()]
    if not venv.resolve().is_relative_to(repo.resolve()):
        binds.append(f"--bind-ro={venv}")
    prefix = python_prefix(venv)
    if prefix is not None:
        binds.append(f"--bind-ro={prefix}")
    # --private-network: the container has only its own loopback, so the probe's scanner on
    # 127.0.0.1 and whatever the kiosk listens on never meet another run's or the host's ports.
    nspawn = ["systemd-nspawn", "--quiet", "--directory=/", "--volatile=yes",
              "--register=no", "--keep-unit", "--console=pipe", "--private-network", "--boot",
              *binds,
              f"systemd.unit={target}", "systemd.firstboot=0"]
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
