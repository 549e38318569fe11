"""A real PostgreSQL server for the tests: `initdb` + `postgres` on 127.0.0.1, a free port,
a data directory of its own, started once per test session and stopped at its end.

The server binaries come from Debian's `postgresql` package (`scripts/test.sh` installs it)
or from LSRULES_PG_BIN. PostgreSQL refuses to run as root, so under root the server runs as
`nobody`; its directory lives under the system temp directory, which `nobody` can reach
(pytest's own temp directories are private to root). No Unix socket, trust authentication
for 127.0.0.1 only, fsync off: a test server, never anything else.
"""
from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

START_TIMEOUT = 60.0
SERVER_USER = "nobody"


class PostgresMissing(RuntimeError):
    pass


def server_binaries() -> Path:
    """The directory holding `initdb` and `postgres`."""
    configured = os.environ.get("LSRULES_PG_BIN")
    candidates = [configured] if configured else sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda path: int(path.split("/")[-2]))[::-1]
    on_path = shutil.which("initdb")
    if not configured and on_path:
        candidates.append(str(Path(on_path).parent))
    for candidate in candidates:
        if (Path(candidate) / "initdb").exists() and (Path(candidate) / "postgres").exists():
            return Path(candidate)
    raise PostgresMissing(
        "the PostgreSQL tests need a PostgreSQL server (initdb and postgres): "
        "`apt-get install postgresql` (scripts/test.sh does), or set LSRULES_PG_BIN to the "
        "directory holding them")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresServer:
    def __init__(self):
        self.binaries = server_binaries()
        self.directory = Path(tempfile.mkdtemp(prefix="lsrules-pg-"))
        self.data = self.directory / "data"
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self._databases = 0

    def _as_server_user(self) -> dict:
        """Popen arguments that drop root for the server user (nothing when not root)."""
        if os.geteuid() != 0:
            return {}
        import pwd

        user = pwd.getpwnam(SERVER_USER)
        os.chown(self.directory, user.pw_uid, user.pw_gid)
        return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}

    def start(self) -> None:
        drop = self._as_server_user()
        log = (self.directory / "initdb.log").open("wb")
        subprocess.run([str(self.binaries / "initdb"), "-D", str(self.data), "-U", "postgres",
                        "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"],
                       check=True, stdout=log, stderr=subprocess.STDOUT,
                       cwd=self.directory, **drop)
        log.close()
        log = (self.directory / "server.log").open("wb")
        self.process = subprocess.Popen(
            [str(self.binaries / "postgres"), "-D", str(self.data), "-p", str(self.port),
             "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=",
             "-c", "fsync=off", "-c", "max_connections=200"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            cwd=self.directory, **drop)
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                self.execute("SELECT 1")
                return
            except Exception as error:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"PostgreSQL did not start: {error}; log:\n"
                                       f"{self.log()}") from None
                time.sleep(0.2)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True, connect_timeout=5) as connection:
            connection.execute(sql)

    def new_database(self) -> str:
        """The URL of a new, empty database (one per test)."""
        self._databases += 1
        name = f"test_{self._databases}"
        self.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def log(self) -> str:
        path = self.directory / "server.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # "fast" shutdown: ends the sessions
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)
