"""Start and stop real servers for the integration tests: Label Studio and `lsrules serve`.

Label Studio lives in its own virtual environment (about 1 GB, and it pins its own SDK),
so the tests never import it: they run its `label-studio` executable headless, exactly as
shared/LABEL_STUDIO.md says, on a fresh data directory and a port checked free first
(a busy port makes Label Studio move silently to the next one).
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "Adm1nPass!"
LABEL_STUDIO_TOKEN = "lsrules-test-token-0123456789abcdef"
DEFAULT_LABEL_STUDIO_VENV = "/work/.ls-venv"

# Variables Label Studio reads as settings when they are merely lying around.
_STRAY_SETTINGS = ("USERNAME", "PASSWORD", "HOST", "PORT")


def free_port() -> int:
    """A port nobody listens on now (the OS picks it), on loopback."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_is_free(port: int) -> bool:
    """Nobody listens there (connections in TIME_WAIT after a restart do not count)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def label_studio_executable() -> Path:
    """The `label-studio` script of the server's own venv, or a failure that says how to make it."""
    venv = Path(os.environ.get("LSRULES_LS_VENV", DEFAULT_LABEL_STUDIO_VENV))
    executable = venv / "bin" / "label-studio"
    if not executable.exists():
        raise RuntimeError(
            f"no Label Studio at {executable}: create its virtual environment with "
            f"`python3 -m venv {venv} && {venv}/bin/pip install label-studio==1.23.2` "
            "(or run .ci/run, which does it), or point LSRULES_LS_VENV at one"
        )
    return executable


def wait_until_healthy(url: str, process: subprocess.Popen, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode}; log: {log}\n"
                               + _tail(log))
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url}/health did not answer within {timeout:.0f} s; log: {log}\n"
                       + _tail(log))


def _tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def stop_process(process: subprocess.Popen | None, timeout: float = 15) -> None:
    """SIGTERM the process group, then SIGKILL if it does not go."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout)


@dataclass
class LabelStudioServer:
    """A headless Label Studio on 127.0.0.1; `start` again after `stop` reuses its database."""

    data_dir: Path
    port: int = 0
    token: str = LABEL_STUDIO_TOKEN
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 180) -> None:
        executable = label_studio_executable()
        if not self.port:
            self.port = free_port()
        deadline = time.monotonic() + 15
        while not port_is_free(self.port):
            if time.monotonic() > deadline:
                raise RuntimeError(f"port {self.port} is busy; Label Studio would move off it")
            time.sleep(0.2)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        environment = {k: v for k, v in os.environ.items() if k not in _STRAY_SETTINGS}
        environment.update(
            LABEL_STUDIO_BASE_DATA_DIR=str(self.data_dir),
            SSRF_PROTECTION_ENABLED="false",
            ML_BLOCK_LOCAL_IP="false",  # lsrules as the project's model, on 127.0.0.1
            LATEST_VERSION_CHECK="false",
            COLLECT_ANALYTICS="false",
        )
        command = [
            str(executable), "start", "--no-browser", "--internal-host", "127.0.0.1",
            "-p", str(self.port), "--data-dir", str(self.data_dir),
            "--username", ADMIN_EMAIL, "--password", ADMIN_PASSWORD,
            "--user-token", self.token, "--enable-legacy-api-token",
        ]
        log = self.data_dir / "label-studio.log"
        with open(log, "ab") as output:
            self.process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT,
                                            env=environment, start_new_session=True)
        try:
            wait_until_healthy(self.url, self.process, timeout, log)
        except BaseException:  # a server that did not come up is not left running
            self.stop()
            raise

    def stop(self) -> None:
        stop_process(self.process)
        self.process = None

    def user_token(self, email: str, timeout: float = 180) -> str:
        """The API token of a user created through the API (which cannot set a password, so
        the user could not log in for one): `label-studio user` prints it."""
        import re

        environment = {k: v for k, v in os.environ.items() if k not in _STRAY_SETTINGS}
        environment.update(LABEL_STUDIO_BASE_DATA_DIR=str(self.data_dir),
                           LATEST_VERSION_CHECK="false", COLLECT_ANALYTICS="false")
        printed = subprocess.run(
            [str(label_studio_executable()), "user", "--username", email, "--data-dir",
             str(self.data_dir)], env=environment, capture_output=True, text=True,
            timeout=timeout).stdout
        found = re.search(r"'token': '([0-9a-f]+)'", printed)
        if found is None:
            raise RuntimeError(f"no token for {email} in: {printed[-500:]}")
        return found.group(1)


@dataclass
class LsrulesServer:
    """`lsrules serve` as a real subprocess, so that a test can kill it like a crash would."""

    rulesets: list[Path]
    label_studio_url: str
    token: str
    secret: str
    store: Path | str  # a SQLite file, or a postgresql:// URL (then `log` is needed)
    projects: list[int]
    port: int = 0
    extra_arguments: list[str] = field(default_factory=list)
    log: Path | None = None
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def hook_url(self) -> str:
        return f"{self.url}/webhook"

    def start(self, timeout: float = 60) -> None:
        if not self.port:
            self.port = free_port()
        environment = dict(os.environ, LABEL_STUDIO_API_KEY=self.token,
                           LSRULES_WEBHOOK_SECRET=self.secret, LSRULES_DEBUG="1")
        command = [sys.executable, str(Path(__file__).with_name("serve_main.py")), "serve",
                   *map(str, self.rulesets), "--ls-url", self.label_studio_url,
                   "--host", "127.0.0.1", "--port", str(self.port), "--store", str(self.store),
                   *[argument for project in self.projects
                     for argument in ("--project", str(project))],
                   *self.extra_arguments]
        log = self.log if self.log is not None else Path(self.store).with_suffix(".log")
        with open(log, "ab") as output:
            self.process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT,
                                            env=environment, start_new_session=True)
        try:
            wait_until_healthy(self.url, self.process, timeout, log)
        except BaseException:  # a server that did not come up is not left running
            self.stop()
            raise

    def kill(self) -> None:
        """SIGKILL, as a crash: no clean shutdown, nothing flushed by us."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self.process = None

    def stop(self) -> None:
        stop_process(self.process)
        self.process = None
