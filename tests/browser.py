"""A page rendered by a real headless Chromium (Debian's `chromium`), driven through the
DevTools protocol: what the page logged or threw while loading, and what a script run in
it afterwards found. A test that needs it fails, with how to install it, when it is missing.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import websocket

INSTALL = "apt-get install -y chromium (Debian's package; scripts/test.sh installs it)"
STARTUP_SECONDS = 60


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail(f"the report's browser tests need Chromium, which is not on PATH: {INSTALL}")
    return found


@dataclass
class Rendered:
    errors: list[str] = field(default_factory=list)  # console errors and uncaught exceptions
    value: object = None  # what the probe expression returned


def render(page: Path, probe: str, timeout: float = 60) -> Rendered:
    """Load `page` in headless Chromium, then evaluate the JavaScript expression `probe`
    (its value must be JSON); every console error, log error and exception is collected."""
    with tempfile.TemporaryDirectory() as profile:
        process = subprocess.Popen(
            [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             f"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            port = _debugging_port(Path(profile), process)
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as reply:
                targets = json.load(reply)
            target = next(t for t in targets if t.get("type") == "page")
            connection = websocket.create_connection(target["webSocketDebuggerUrl"],
                                                     timeout=timeout, suppress_origin=True)
            try:
                return _drive(connection, page, probe, timeout)
            finally:
                connection.close()
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _debugging_port(profile: Path, process: subprocess.Popen) -> int:
    marker = profile / "DevToolsActivePort"
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if marker.exists() and marker.read_text().strip():
            return int(marker.read_text().splitlines()[0])
        if process.poll() is not None:
            pytest.fail(f"chromium exited with {process.returncode} before it listened")
        time.sleep(0.05)
    pytest.fail(f"chromium did not open its DevTools port in {STARTUP_SECONDS} s")


def _drive(connection, page: Path, probe: str, timeout: float) -> Rendered:
    rendered = Rendered()
    counter = iter(range(1, 1_000_000))

    def send(method: str, **params) -> int:
        number = next(counter)
        connection.send(json.dumps({"id": number, "method": method, "params": params}))
        return number

    def wait(predicate) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = json.loads(connection.recv())
            _collect(message, rendered)
            if predicate(message):
                return message
        pytest.fail(f"chromium did not answer within {timeout} s")

    for method in ("Runtime.enable", "Log.enable", "Page.enable"):
        number = send(method)
        wait(lambda message, number=number: message.get("id") == number)
    send("Page.navigate", url=page.resolve().as_uri())
    wait(lambda message: message.get("method") == "Page.loadEventFired")
    number = send("Runtime.evaluate", expression=probe, returnByValue=True)
    reply = wait(lambda message: message.get("id") == number)
    result = reply.get("result", {})
    if "exceptionDetails" in result:
        rendered.errors.append(f"the probe threw: {result['exceptionDetails']}")
    rendered.value = result.get("result", {}).get("value")
    # messages the page sent after the load event and before the probe's reply
    connection.settimeout(0.5)
    try:
        while True:
            _collect(json.loads(connection.recv()), rendered)
    except websocket.WebSocketTimeoutException:
        pass
    return rendered


def _collect(message: dict, rendered: Rendered) -> None:
    method = message.get("method")
    params = message.get("params", {})
    if method == "Runtime.exceptionThrown":
        rendered.errors.append(f"exception: {params.get('exceptionDetails')}")
    elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
        rendered.errors.append(f"console.{params.get('type')}: {params.get('args')}")
    elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
        entry = params["entry"]
        rendered.errors.append(f"log ({entry.get('source')}): {entry.get('text')}")
