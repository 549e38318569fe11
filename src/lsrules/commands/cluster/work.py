"""What a worker of a cluster run does: compile the ruleset once, evaluate blocks.

The driver sends the ruleset as its text (and its labeling config's), never as Python
objects: a worker process writes them to files, loads them as `lsrules run` does, checks
that it compiled the very text it was sent, and keeps the engine under the bundle's sha256
for every later block. What comes back is plain lists and strings; a malformed export comes
back as `{"error": ...}`, a value, not a pickled exception.
"""
from __future__ import annotations

import hashlib
import json
import tempfile
import threading
from pathlib import Path

from lsrules import __version__
from lsrules.errors import LsrulesError

MAX_ENGINES = 8  # rulesets kept per worker process (a long-lived cluster serves many runs)

_engines: dict[str, object] = {}
_lock = threading.Lock()


def make_bundle(engine, selection) -> dict:
    """The ruleset as a worker gets it: its text, its file name, its labeling config, the
    rules `--select`/`--ignore` keep, and the files it extends (`extends:`), each under its
    path from the project root so the ruleset names them as it does here."""
    from lsrules.ruleset.loader import read_text

    ruleset = engine.ruleset
    text = read_text(ruleset.path)
    name = Path(ruleset.path).name
    extended: dict[str, str] = {}
    if ruleset.extended_files:
        name, extended = _extended_tree(ruleset)
    config = None
    if ruleset.labeling_config_path is not None:
        config = read_text(ruleset.labeling_config_path)
    select, ignore = sorted(selection.select), sorted(selection.ignore)
    digest = hashlib.sha256()
    for part in (name.encode(), text.encode("utf-8", "surrogatepass"),
                 (config or "").encode("utf-8", "surrogatepass"),
                 json.dumps([select, ignore]).encode(),
                 json.dumps(extended, sort_keys=True).encode("utf-8", "surrogatepass")):
        digest.update(hashlib.sha256(part).digest())
    return {"sha256": digest.hexdigest(), "name": name, "text": text,
            "config": config, "select": select, "ignore": ignore, "extended": extended,
            "ruleset_sha256": engine.sha256, "lsrules_version": __version__}


def _extended_tree(ruleset) -> tuple[str, dict[str, str]]:
    """The ruleset's path and the extended files' texts, each by its path from the project
    root (a worker rebuilds that tree, so `extends:` finds them where it does here)."""
    from lsrules.ruleset.containment import ruleset_root
    from lsrules.ruleset.loader import read_text

    root = ruleset_root(ruleset.path)
    try:
        name = Path(ruleset.path).resolve().relative_to(root).as_posix()
        files = {Path(path).relative_to(root).as_posix(): read_text(path, allow_outside_root=True)
                 for path in ruleset.extended_files}
    except ValueError:  # a file outside the root (--allow-outside-root): no tree holds it
        raise LsrulesError("run --cluster ships the files `extends:` names only from inside "
                           "the ruleset's project root (copy a shared pack into the project, "
                           "or run without --cluster)", ruleset.path) from None
    return name, files


def engine_for(bundle: dict):
    """The engine of a bundle, compiled at most once per worker process."""
    with _lock:
        engine = _engines.get(bundle["sha256"])
        if engine is None:
            engine = _compile(bundle)
            if len(_engines) >= MAX_ENGINES:
                _engines.pop(next(iter(_engines)))
            _engines[bundle["sha256"]] = engine
    return engine


def _compile(bundle: dict):
    import lsrules
    from lsrules.files import write_atomically

    if bundle["lsrules_version"] != __version__:
        raise LsrulesError(f"a worker runs lsrules {__version__}, this run needs "
                           f"{bundle['lsrules_version']}: install the same version everywhere")
    directory = _bundle_directory(bundle["sha256"])
    extended = bundle.get("extended") or {}
    if extended:  # the project's tree, rooted here: the ruleset extends files by its paths
        tree = directory / "tree"
        for relative in [*extended, bundle["name"]]:
            if relative.startswith("/") or ".." in Path(relative).parts:
                raise LsrulesError(f"a bundle path leaves its tree: {relative!r}")
        tree.mkdir(parents=True, exist_ok=True)
        write_atomically(tree / "lsrules.toml", "")
        for relative, text in extended.items():
            (tree / relative).parent.mkdir(parents=True, exist_ok=True)
            write_atomically(tree / relative, text)
        ruleset_path = tree / bundle["name"]
        ruleset_path.parent.mkdir(parents=True, exist_ok=True)
    else:
        ruleset_path = directory / (Path(bundle["name"]).name or "ruleset.yaml")
    # whole or not at all: another worker process of the machine may be reading it
    write_atomically(ruleset_path, bundle["text"])
    config_path = None
    if bundle["config"] is not None:
        config_path = directory / "labeling-config.xml"
        write_atomically(config_path, bundle["config"])
    from lsrules.ruleset.selection import Selection

    selection = Selection(frozenset(bundle["select"]), frozenset(bundle["ignore"]))
    engine = lsrules.load(str(ruleset_path), config=config_path, selection=selection)
    expected = bundle.get("ruleset_sha256") or hashlib.sha256(
        bundle["text"].encode("utf-8", "surrogatepass")).hexdigest()
    if engine.sha256 != expected:
        raise LsrulesError("the ruleset a worker compiled is not the one it was sent",
                           str(ruleset_path))
    return engine


def _bundle_directory(sha256: str) -> Path:
    """Where a worker keeps a bundle's files: one stable place per bundle under the user's
    lsrules cache (so the parse cache knows it next time), else a private temporary one."""
    from lsrules.ruleset.cache import cache_directory

    base = cache_directory()
    if base is not None:
        directory = base / "cluster" / sha256
        try:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            return directory
        except OSError:
            pass
    return Path(tempfile.mkdtemp(prefix="lsrules-cluster-"))


def evaluate_block(bundle: dict, block: dict, options: dict) -> dict:
    """Evaluate every task of a block.

    Returns, in input order: `decisions` (a JSON line per annotation), `fixed` (a JSON line
    per task, with `options["fixed"]`), `counts` (verdict, fired rule ids, any warning,
    annotator, the errors that stayed: what the summary needs) and, with `options["streams"]`, each annotation's
    stream `events` and the `times` of their `created_at` (None without one). A malformed
    task ends the block with `{"error": message}` instead.
    """
    from lsrules.commands.run_summary import annotator_of
    from lsrules.engine.patch import apply_patch
    from lsrules.exports.writer import dumps, with_annotations
    from lsrules.streams.events import make_event
    from lsrules.timestamps import parse_time
    from lsrules.streams.reads import event_fields

    fixed, streams = options["fixed"], options["streams"]
    decisions: list[str] = []
    fixed_lines: list[str] = []
    counts: list[tuple] = []
    events: list = []
    times: list = []
    try:
        engine = engine_for(bundle)
        fields = event_fields(engine.ruleset.streams)
        for task, annotations in _tasks(block, engine, options):
            corrected = []
            for position, annotation in enumerate(annotations):
                decision = engine.evaluate(task, annotation,
                                           annotations[:position] + annotations[position + 1:])
                findings = decision.findings
                fired = [finding.rule for finding in findings]
                decisions.append(dumps(decision.to_dict()))
                counts.append((decision.verdict, fired,
                               any(finding.severity == "warning" for finding in findings),
                               annotator_of(annotation),
                               [finding.rule for finding in findings
                                if finding.severity == "error" and not finding.fixed]))
                if fixed:
                    corrected.append(apply_patch(annotation, decision.patch)
                                     if decision.patch else annotation)
                if streams:
                    route = decision.route["name"] if decision.route else None
                    events.append(make_event(task, annotation, decision.verdict, fired, route,
                                             fields))
                    times.append(parse_time(annotation.get("created_at")))
            if fixed:
                fixed_lines.append(dumps(with_annotations(task, corrected)))
    except LsrulesError as error:
        return {"error": str(error)}
    return {"decisions": decisions, "fixed": fixed_lines, "counts": counts, "events": events,
            "times": times}


def without_events(result: dict) -> dict:
    """What the driver fetches of a block's result; the events stay on the cluster."""
    return {key: value for key, value in result.items() if key != "events"}


def _tasks(block: dict, engine, options: dict):
    """(task, annotations) of each task of the block, checked as `lsrules run` checks them."""
    strict = options["strict_items"]
    if block["format"] != "jsonl":
        import fsspec

        from lsrules.exports.reader import ExportReader

        with fsspec.open(block["url"], "rb") as stream, ExportReader(
                block["name"], block["format"], labeling_config=engine.config,
                strict_items=strict, stream=stream,
                max_line_bytes=options["max_line_bytes"]) as reader:
            for record in reader.tasks():
                yield record.task, record.annotations
        return
    from lsrules.commands.cluster.inputs import block_lines
    from lsrules.exports.lines import decode_line, parse_line
    from lsrules.exports.reader import located_error
    from lsrules.exports.validation import MalformedTask, split_task

    name = block["name"]
    limit = options["max_line_bytes"]
    line_number, index = options.get("lines_before", 0), options.get("tasks_before", 0)
    for line in block_lines(block, limit):
        line_number += 1
        if len(line) > limit:
            raise located_error(name, f"a line longer than {limit:,} bytes (--max-line-bytes)",
                                index, "", line_number)
        text = decode_line(line, name, index, line_number)
        if not text.strip():
            continue
        value = parse_line(text, name, index, line_number)
        try:
            task, annotations = split_task(value, strict)
        except MalformedTask as problem:
            raise located_error(name, problem.message, index, problem.json_path,
                                line_number) from None
        yield task, annotations
        index += 1
