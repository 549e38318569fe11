"""The `lsrules` command: a thin dispatcher over one module per sub-command.

Each command module has `add_arguments(parser)` and `run(args) -> int`; it is imported
only when its command runs, so `lsrules check` does not pay for the web service or the
suggester. Every `LsrulesError` becomes one line on stderr and exit code 2.
"""
from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import threading

from lsrules.version import __version__
from lsrules.errors import LsrulesError
from lsrules.terminal import one_line

# command name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("lsrules.commands.check", "lint, type-check and test rulesets (for CI)"),
    "test": ("lsrules.commands.test", "run the rulesets' inline tests, with rule coverage"),
    "run": ("lsrules.commands.run", "evaluate a Label Studio export"),
    "report": ("lsrules.commands.report", "the decisions of run or serve as one HTML page"),
    "explain": ("lsrules.commands.explain", "trace every rule on one task of an export"),
    "init": ("lsrules.commands.init", "write a starter ruleset from a labeling config"),
    "serve": ("lsrules.labelstudio.commands", "the webhook service Label Studio calls"),
    "connect": ("lsrules.labelstudio.commands", "register the webhook and route views"),
    "sync": ("lsrules.labelstudio.commands", "evaluate annotations changed since the last checkpoint"),
    "audit": ("lsrules.labelstudio.commands", "query and export the audit store"),
    "suggest": ("lsrules.suggest.commands", "fit, evaluate and audit with the suggester"),
    "schema": ("lsrules.commands.schema", "print the ruleset (or decision, project) JSON Schema"),
}

# commands that need an optional extra -> (extra, the top-level modules it installs)
EXTRAS: dict[str, tuple[str, frozenset[str]]] = {
    name: ("labelstudio", frozenset({"label_studio_sdk", "starlette", "uvicorn", "httpx"}))
    for name in ("serve", "connect", "sync", "audit")
}


def build_parser(only: str | None = None, argv: list[str] | None = None
                 ) -> argparse.ArgumentParser:
    """The parser; with `only`, that command's options, their defaults taken from the
    project file that `argv` names (`--project-file`) or that is found from here."""
    parser = argparse.ArgumentParser(prog="lsrules", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"lsrules {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        if name == only:
            module = importlib.import_module(module_name)
            add = getattr(module, f"add_{name}_arguments", None) or module.add_arguments
            add(sub)
            _add_project_options(sub)
            sub.set_defaults(_module=module, _project=_project_defaults(sub, name, argv or []))
    return parser


def _add_project_options(parser: argparse.ArgumentParser) -> None:
    """--project-file and --isolated on a command and on each of its own sub-commands."""
    from lsrules.options import sub_parsers

    group = parser.add_argument_group("project file")
    group.add_argument("--project-file", metavar="TOML",
                       help="the project file (default: lsrules.toml, or pyproject.toml with "
                            "[tool.lsrules], here or in the nearest directory above)")
    group.add_argument("--isolated", action="store_true",
                       help="read no project file")
    for sub in sub_parsers(parser).values():
        _add_project_options(sub)


def _project_defaults(parser: argparse.ArgumentParser, name: str, argv: list[str]):
    """Load the project file and make its `[defaults.NAME]` the parser's defaults."""
    from lsrules.project_file import load_project_file

    early = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    early.add_argument("--project-file")
    early.add_argument("--isolated", action="store_true")
    known, _ = early.parse_known_args(argv)
    if known.isolated:
        return None
    project = load_project_file(known.project_file)
    if project is None:
        return None
    from lsrules.errors import Location
    from lsrules.options import apply_defaults

    table = project.defaults.get(name, {})
    if table:
        apply_defaults(parser, table, Location(os.path.relpath(project.path)), name)
    if project.url and not os.environ.get("LABEL_STUDIO_URL"):
        for action in parser._actions:
            if action.dest == "ls_url":
                parser.set_defaults(ls_url=project.url)
    return project


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that every `with` unwinds: outputs written to a
    temporary file (`lsrules.files.AtomicFile`) are deleted, not left behind half written."""


def _terminate(signum, frame):
    raise Terminated


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = next((a for a in argv if not a.startswith("-")), None)
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        return _main(argv, command)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _main(argv: list[str], command: str | None) -> int:
    try:
        parser = build_parser(command if command in COMMANDS else None, argv)
        args = parser.parse_args(argv)
        if not getattr(args, "command", None):
            parser.print_help()
            return 2
        module = args._module
        run = getattr(module, f"run_{args.command}", None) or module.run
        return run(args)
    except LsrulesError as error:
        print(f"lsrules: {_one_line(str(error))}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as error:
        extra, modules = EXTRAS.get(command or "", ("", frozenset()))
        if (error.name or "").partition(".")[0] not in modules:
            return _internal_error(error)
        print(f"lsrules: `lsrules {command}` needs the {extra} extra (no module named "
              f"{error.name!r}): pip install 'lsrules[{extra}]'", file=sys.stderr)
        return 2
    except Terminated:
        print("lsrules: terminated", file=sys.stderr)
        return 128 + signal.SIGTERM
    except KeyboardInterrupt:
        print("lsrules: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as error:  # a bug in lsrules, not in the user's input
        return _internal_error(error)


def _internal_error(error: Exception) -> int:
    if os.environ.get("LSRULES_DEBUG"):
        raise error
    print(f"lsrules: internal error: {type(error).__name__}: {_one_line(str(error))} "
          "(set LSRULES_DEBUG=1 for details)", file=sys.stderr)
    return 2


def _one_line(text: str, limit: int = 500) -> str:
    text = one_line(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


if __name__ == "__main__":
    sys.exit(main())
