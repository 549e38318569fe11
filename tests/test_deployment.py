"""The Dockerfile and the deployment walkthrough (docs/serve.md) agree with the code: every
command they show parses with lsrules' own parser, the image copies files that exist and
installs extras that exist, and the port, store and signals line up. (No Docker is needed.)"""
from __future__ import annotations

import json
import re
import shlex
import sys
from pathlib import Path

import pytest

from lsrules.cli import build_parser
from lsrules.project_file import read_project_file

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
SERVE_DOC = (ROOT / "docs" / "serve.md").read_text()


def instructions(dockerfile: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", "\n".join(line for line in dockerfile.splitlines()
                                           if not line.lstrip().startswith("#")))
    found = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


DOCKERFILE = instructions((ROOT / "Dockerfile").read_text())


def only(keyword: str) -> list[str]:
    return [arguments for name, arguments in DOCKERFILE if name == keyword]


def parses(argv: list[str]):
    """lsrules' parser on `argv` (a usage error fails the test with argparse's message)."""
    try:
        return build_parser(argv[0], argv).parse_args([*argv, "--isolated"])
    except SystemExit as error:
        raise AssertionError(f"`lsrules {shlex.join(argv)}` does not parse") from error


def test_the_image_runs_serve_with_options_that_exist_on_the_port_it_exposes():
    (entrypoint,) = only("ENTRYPOINT")
    (command,) = only("CMD")
    assert json.loads(entrypoint) == ["lsrules"]
    assert PYPROJECT["project"]["scripts"]["lsrules"] == "lsrules.cli:main"
    argv = json.loads(command)
    args = parses(argv)
    assert args.command == "serve" and args.host == "0.0.0.0"
    assert only("EXPOSE") == [str(args.port)]
    (health,) = only("HEALTHCHECK")
    assert f"http://127.0.0.1:{args.port}/health" in health
    (volume,) = only("VOLUME")
    assert args.store.startswith(volume + "/")


def test_the_image_copies_what_the_build_needs_and_installs_extras_that_exist():
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    allowed = {line[1:] for line in ignored if line.startswith("!")}
    for arguments in only("COPY"):
        if arguments.startswith("--from="):
            continue
        *sources, _ = arguments.split()
        for source in sources:
            assert (ROOT / source).exists(), source
            assert source in allowed, f"{source} is left out by .dockerignore"
    assert {"pyproject.toml", "src", "schemas"} <= allowed  # src/lsrules/schemas links there
    extras = set(PYPROJECT["project"]["optional-dependencies"])
    named = re.findall(r"(?:lsrules|\.)\[([a-z,]+)\]", "\n".join(only("RUN")))
    assert len(named) == 2 and len(set(named)) == 1  # built and installed alike
    assert set(named[0].split(",")) <= extras and "labelstudio" in named[0]
    bases = [arguments.split()[0] for arguments in only("FROM")]
    version = re.fullmatch(r"python:(\d+)\.(\d+)-slim", bases[-1])
    assert version and tuple(map(int, version.groups())) >= (3, 10)
    assert PYPROJECT["project"]["requires-python"] == ">=3.10"


def shell_commands(markdown: str) -> list[list[str]]:
    """The lsrules command lines of the ```bash blocks (run directly, from a virtual
    environment, or with `docker exec CONTAINER`), as argv after `lsrules`."""
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", markdown, re.S):
        for line in re.sub(r"\\\n\s*", " ", block).splitlines():
            words = shlex.split(line, comments=True)
            if words[:2] == ["docker", "exec"]:
                words = words[3:]
            if words and (words[0] == "lsrules" or words[0].endswith("/bin/lsrules")):
                commands.append(words[1:])
    return commands


def test_every_command_of_the_walkthrough_parses():
    commands = shell_commands(SERVE_DOC)
    assert {argv[0] for argv in commands} >= {"serve", "connect", "sync", "audit"}
    for argv in commands:
        parses(argv)


def test_the_systemd_unit_starts_serve_and_reloads_with_sighup():
    unit = re.search(r"```ini\n(.*?)```", SERVE_DOC, re.S).group(1)
    settings = dict(line.split("=", 1) for line in unit.splitlines() if "=" in line)
    executable, *argv = shlex.split(settings["ExecStart"])
    assert executable.endswith("/bin/lsrules")
    args = parses(argv)
    assert args.command == "serve"
    assert args.store.startswith(f"/var/lib/{settings['StateDirectory']}/")
    assert settings["ExecReload"] == "/bin/kill -HUP $MAINPID"
    assert settings["Environment"] == f"LSRULES_CACHE_DIR=/var/cache/{settings['CacheDirectory']}"


def test_the_walkthrough_project_file_is_valid(tmp_path):
    (text,) = re.findall(r"```toml\n(.*?)```", SERVE_DOC, re.S)
    path = tmp_path / "lsrules.toml"
    path.write_text(text)
    project = read_project_file(path)
    assert [binding.project for binding in project.projects] == [3, 4]


@pytest.mark.parametrize("variable", ["LABEL_STUDIO_API_KEY", "LSRULES_WEBHOOK_SECRET",
                                      "LABEL_STUDIO_URL", "SSRF_PROTECTION_ENABLED"])
def test_the_walkthrough_names_the_settings_the_service_reads(variable):
    assert f"`{variable}" in SERVE_DOC
    if variable.startswith(("LABEL_STUDIO_API", "LSRULES")):
        source = (ROOT / "src" / "lsrules" / "labelstudio")
        assert any(variable in path.read_text() for path in source.glob("*.py"))
