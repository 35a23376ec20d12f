"""A real, throw-away PostgreSQL server for tests and benchmarks, on 127.0.0.1 only.

    with TemporaryPostgres() as url:        # postgresql://kiosk:...@127.0.0.1:PORT/kiosk_test
        ...

`initdb` makes a cluster in a new temporary folder, `pg_ctl` starts it listening only on
127.0.0.1 (a free port) and on a unix socket in that folder, a database is created, and at exit
the server is stopped (`pg_ctl stop -m fast`) and the folder removed. The binaries are Debian's
(`/usr/lib/postgresql/<version>/bin`, newest first) or the first `initdb` on PATH.

PostgreSQL refuses to run as root: when we are root, initdb and the server run as the
unprivileged `postgres` user the Debian package creates (via `runuser`, else `setpriv`), and the
folder belongs to it. Password authentication (scram) is on for TCP, so a wrong password fails
as it would in a store; the random superuser password is in the URL.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

INSTALL_HINT = ("PostgreSQL is not installed: run `sudo apt-get install postgresql` (or `make "
                "test` as root, which installs it) to run the PostgreSQL tests")
SUPERUSER = "kiosk"
START_TIMEOUT_S = 60


def find_bin_dir() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres, or None when PostgreSQL is missing."""
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                    key=lambda p: _version_key(p.parent.parent.name), reverse=True)
    for initdb in debian:
        if (initdb.parent / "pg_ctl").exists():
            return initdb.parent
    found = shutil.which("initdb")
    if found is not None:
        folder = Path(found).resolve().parent
        if (folder / "pg_ctl").exists():
            return folder
    return None


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(p) for p in name.split(".") if p.isdigit())


def unavailable_reason() -> str | None:
    """Why a TemporaryPostgres cannot start here (None when it can)."""
    if find_bin_dir() is None:
        return INSTALL_HINT
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return ("we are root and there is no `postgres` user to run the server as; "
                    "install Debian's postgresql package, which creates it")
        if shutil.which("runuser") is None and shutil.which("setpriv") is None:
            return "we are root and neither runuser nor setpriv is there to drop privileges"
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class TemporaryPostgres:
    """A PostgreSQL server in a temporary folder; `with` yields the URL of its database."""

    def __init__(self, dbname: str = "kiosk_test") -> None:
        self.dbname = dbname
        self.password = secrets.token_hex(16)
        self.port = 0
        self.folder: Path | None = None
        self._bin: Path | None = None
        self._as_postgres = os.geteuid() == 0

    # --- lifecycle --------------------------------------------------------------------------

    def __enter__(self) -> str:
        reason = unavailable_reason()
        if reason is not None:
            raise RuntimeError(reason)
        self._bin = find_bin_dir()
        self.folder = Path(tempfile.mkdtemp(prefix="kiosk-pg-"))
        try:
            self._init_and_start()
            return self.create_database(self.dbname)
        except BaseException:
            self._stop_and_remove()
            raise

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop_and_remove()

    def url(self, dbname: str) -> str:
        """The URL of database `dbname` on this server (TCP, 127.0.0.1)."""
        return f"postgresql://{SUPERUSER}:{self.password}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, dbname: str) -> str:
        """Create database `dbname` (a plain identifier) and return its URL."""
        import psycopg

        if not dbname.replace("_", "").isalnum():
            raise ValueError(f"database name {dbname!r} must be letters, digits and '_'")
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            # PostgreSQL 15 copies the template through WAL and shared buffers by default; with
            # a database per test that left hundreds of MB for the shutdown checkpoint to write
            # (a ~20 s stop). FILE_COPY copies the few files directly.
            strategy = " STRATEGY FILE_COPY" if conn.info.server_version >= 150000 else ""
            conn.execute(f'CREATE DATABASE "{dbname}"{strategy}')
        return self.url(dbname)

    # --- the server ---------------------------------------------------------------------------

    def _run(self, *argv: str) -> None:
        assert self._bin is not None and self.folder is not None
        command = [str(self._bin / argv[0]), *argv[1:]]
        if self._as_postgres:
            drop = (["runuser", "-u", "postgres", "--"] if shutil.which("runuser")
                    else ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"])
            command = [*drop, *command]
        done = subprocess.run(command, cwd=self.folder, capture_output=True, text=True,
                              timeout=START_TIMEOUT_S, check=False)
        if done.returncode != 0:
            log = self.folder / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{' '.join(argv[:2])} failed ({done.returncode}): "
                               f"{done.stderr.strip()[-2000:]}\n{tail}")

    def _init_and_start(self) -> None:
        folder = self.folder
        assert folder is not None
        (folder / "sock").mkdir()
        pwfile = folder / "pwfile"
        pwfile.write_text(self.password + "\n")
        if self._as_postgres:
            entry = pwd.getpwnam("postgres")
            for path in (folder, folder / "sock", pwfile):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        self._run("initdb", "-D", str(folder / "data"), "-U", SUPERUSER, "--pwfile",
                  str(pwfile), "--auth-local=trust", "--auth-host=scram-sha-256",
                  "-E", "UTF8", "--locale=C", "--no-sync")
        pwfile.unlink()
        self.port = _free_port()
        # Test cluster only: fsync and full_page_writes are off because a crash of a test server
        # loses nothing we keep; a real hub's PostgreSQL must keep both on.
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} "
                   f"-c unix_socket_directories={folder / 'sock'} -c fsync=off "
                   "-c full_page_writes=off -c shared_buffers=32MB -c max_connections=200")
        self._run("pg_ctl", "start", "-w", "-t", str(START_TIMEOUT_S), "-D",
                  str(folder / "data"), "-l", str(folder / "server.log"), "-o", options)

    def _stop_and_remove(self) -> None:
        folder = self.folder
        if folder is None:
            return
        self.folder = None
        try:
            if (folder / "data" / "postmaster.pid").exists():
                self.folder = folder
                with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                    self._run("pg_ctl", "stop", "-m", "fast", "-w", "-D", str(folder / "data"))
        finally:
            self.folder = None
            shutil.rmtree(folder, ignore_errors=True)
