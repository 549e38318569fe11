"""`lsrules check` wall time, cold, for a generated 200-rule ruleset; compile time per rule.

    python bench/bench_check.py [--rules 200] [--repeat 7]

Cold means a new process each time (imports included), as CI runs it. Measured twice:
with an empty parse cache (a fresh CI machine, or the first check after an upgrade) and with
the cache the previous check wrote (the edit-check loop, or CI that keeps `LSRULES_CACHE_DIR`
between runs, as projects keep ruff's cache). Not a test.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEMPLATES = [
    ('for: region where region.type == "rectanglelabels"',
     "assert: region.x >= 0 and region.y >= 0 and region.x + region.width <= {n}"),
    ("for: region", 'when: region.label in ["car", "auto{n}"]\n    fix: set region.label = "Car"'),
    ("for: annotation",
     'assert: count(r.label == "Car" for r in regions) <= {n} or annotation.lead_time > 2'),
    ("for: region", "assert: area(region) > 0.0{n} and matches(region.label, \"^[A-Z]\")"),
    ("for: annotation",
     "assert: none(any(iou(r, o) > 0.9 and r.id != o.id for o in regions) for r in regions)"),
]


def make_ruleset(count: int) -> str:
    lines = ["ruleset: bench", 'version: "1"', "routes:", "  review: {priority: 1}", "rules:"]
    for index in range(count):
        scope, body = TEMPLATES[index % len(TEMPLATES)]
        lines += [f"  - id: rule-{index}", "    severity: warning", f"    {scope}",
                  "    " + body.format(n=index + 1), f'    message: "rule {index} on {{annotation.id}}"']
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rules", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "bench.yaml"
        path.write_text(make_ruleset(args.rules))
        command = [sys.executable, "-m", "lsrules.cli", "check", str(path)]
        cache = Path(directory) / "cache"
        # as installed: bytecode cached (some environments set PYTHONDONTWRITEBYTECODE, which
        # recompiles every module of lsrules and its dependencies in every process)
        environment = {key: value for key, value in os.environ.items()
                       if key not in ("PYTHONDONTWRITEBYTECODE", "LSRULES_NO_CACHE")}
        environment["LSRULES_CACHE_DIR"] = str(cache)
        subprocess.run(command, capture_output=True, env=environment)  # writes the .pyc files

        def timed(empty_cache: bool) -> float:
            if empty_cache:
                shutil.rmtree(cache, ignore_errors=True)
            started = time.perf_counter()
            completed = subprocess.run(command, capture_output=True, text=True, env=environment)
            elapsed = time.perf_counter() - started
            assert completed.returncode == 0, completed.stdout + completed.stderr
            return elapsed

        cold = [timed(empty_cache=True) for _ in range(args.repeat)]
        warm = [timed(empty_cache=False) for _ in range(args.repeat)]
        startup = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", "import lsrules.cli"], check=True,
                           env=environment)
            startup.append(time.perf_counter() - started)
        from lsrules.ruleset.checks import check_ruleset
        from lsrules.dsl.compiler import compile_ruleset
        from lsrules.ruleset.loader import load_ruleset

        os.environ["LSRULES_NO_CACHE"] = "1"  # per rule: the real parse, not the cache
        load_ruleset(path)  # warm the schema and grammar caches
        started = time.perf_counter()
        ruleset, _ = load_ruleset(path)
        loaded = time.perf_counter()
        list(check_ruleset(ruleset))
        checked = time.perf_counter()
        compile_ruleset(ruleset)
        compiled = time.perf_counter()
    for label, times in (("empty cache", cold), ("warm cache", warm)):
        print(f"lsrules check, {args.rules} rules, cold process, {label}: median "
              f"{statistics.median(times):.3f} s (min {min(times):.3f}, max {max(times):.3f})")
    print(f"python + import lsrules.cli alone: {statistics.median(startup):.3f} s")
    print(f"per rule, warm: parse {1e3 * (loaded - started) / args.rules:.3f} ms, "
          f"check {1e3 * (checked - loaded) / args.rules:.3f} ms, "
          f"codegen+compile {1e3 * (compiled - checked) / args.rules:.3f} ms")


if __name__ == "__main__":
    main()
