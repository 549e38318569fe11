"""The one atomic writer: every file lsrules writes gets the same mode, and is whole or absent."""
from __future__ import annotations

import os
import stat

import pytest

from lsrules.files import AtomicFile, AtomicOutput, write_atomically


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def umask_022():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_a_new_file_gets_the_mode_open_would_give(tmp_path, umask_022):
    write_atomically(tmp_path / "new.txt", "text")
    assert _mode(tmp_path / "new.txt") == 0o644
    assert (tmp_path / "new.txt").read_text() == "text"


def test_a_replaced_file_keeps_its_mode(tmp_path, umask_022):
    target = tmp_path / "kept.txt"
    target.write_text("old")
    target.chmod(0o600)
    write_atomically(target, "new")
    assert (_mode(target), target.read_text()) == (0o600, "new")


def test_exclusive_refuses_an_existing_file_and_leaves_nothing_behind(tmp_path):
    target = tmp_path / "taken.txt"
    target.write_text("theirs")
    with pytest.raises(FileExistsError):
        write_atomically(target, "mine", exclusive=True)
    assert target.read_text() == "theirs"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken.txt"]
    write_atomically(tmp_path / "free.txt", "mine", exclusive=True)
    assert (tmp_path / "free.txt").read_text() == "mine"


def test_an_exception_leaves_the_target_as_it_was(tmp_path):
    target = tmp_path / "target.txt"
    target.write_text("before")
    with pytest.raises(RuntimeError), AtomicFile(target) as stream:
        stream.write("half")
        raise RuntimeError
    assert target.read_text() == "before"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["target.txt"]


def test_dash_is_standard_output(capsys):
    with AtomicOutput("-") as stream:
        stream.write("to stdout\n")
    assert capsys.readouterr().out == "to stdout\n"


def test_the_writers_of_rulesets_models_and_the_cache_share_it(tmp_path, umask_022):
    """`init`, the suggester's model files and the ruleset cache: 0644 under umask 022."""
    from lsrules.cli import main
    from lsrules.suggest.store import persist

    config = tmp_path / "config.xml"
    config.write_text('<View><Text name="text" value="$text"/>'
                      '<Choices name="c" toName="text"><Choice value="A"/></Choices></View>')
    assert main(["init", "--config", str(config), "-o", str(tmp_path / "rules.yaml")]) == 0
    persist.write_atomically(tmp_path / "model.json", "{}")
    assert _mode(tmp_path / "rules.yaml") == _mode(tmp_path / "model.json") == 0o644
