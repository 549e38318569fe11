"""`lsrules serve` arguments checked before anything starts (no Label Studio needed)."""
from __future__ import annotations

from pathlib import Path

import pytest

from lsrules.cli import main

SENTIMENT = str(Path(__file__).resolve().parents[2] / "rulesets" / "sentiment.yaml")


@pytest.mark.parametrize("arguments, message", [
    (["--port", "70000"], "--port must lie in [0, 65535], not 70000"),
    (["--port", "-1"], "--port must lie in [0, 65535], not -1"),
    (["--max-body-bytes", "0"], "--max-body-bytes must be positive, not 0"),
    (["--retry-base", "nan"], "--retry-base must be a positive number of seconds, not nan"),
    (["--retry-max", "-5"], "--retry-max must be a positive number of seconds, not -5.0"),
])
def test_an_unusable_argument_exits_2_before_serving(tmp_path, capsys, monkeypatch, arguments,
                                                     message):
    monkeypatch.setenv("LSRULES_WEBHOOK_SECRET", "secret")
    monkeypatch.setenv("LABEL_STUDIO_URL", "http://127.0.0.1:9")
    store = tmp_path / "store.sqlite"
    code = main(["serve", SENTIMENT, "--store", str(store), *arguments])
    assert code == 2
    assert capsys.readouterr().err == f"lsrules: {message}\n"
    assert list(tmp_path.iterdir()) == []  # no store opened


def test_a_port_in_use_exits_2_with_one_line_before_serving(tmp_path, capsys, monkeypatch):
    import socket

    monkeypatch.setenv("LSRULES_WEBHOOK_SECRET", "secret")
    monkeypatch.setenv("LABEL_STUDIO_URL", "http://127.0.0.1:9")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = main(["serve", SENTIMENT, "--store", str(tmp_path / "store.sqlite"),
                     "--port", str(port)])
    assert code == 2
    assert capsys.readouterr().err == (
        f"lsrules: cannot listen on 127.0.0.1:{port}: Address already in use\n")
    assert list(tmp_path.iterdir()) == []  # no store opened


def test_a_host_that_does_not_resolve_exits_2(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LSRULES_WEBHOOK_SECRET", "secret")
    code = main(["serve", SENTIMENT, "--store", str(tmp_path / "store.sqlite"),
                 "--host", "no-such-host.invalid"])
    assert code == 2
    assert capsys.readouterr().err.startswith("lsrules: cannot listen on no-such-host.invalid:8089: ")
