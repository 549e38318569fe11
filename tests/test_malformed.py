"""Bad input never crashes: every malformed ruleset gives exit 1 or 2 and one clean line."""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lsrules.cli import main

HEADER = 'ruleset: t\nversion: "1"\nrules:\n'

BROKEN_YAML = [
    "ruleset: [\n", "rules:\n\t- id: a\n", 'ruleset: "unclosed\n', "a: {b: 1\n", "- - -\n  :\n",
    HEADER + "  - id: a\n    message: {region.label}\n    assert: true\n",
    HEADER + "  - id: a\n    assert: true\n    assert: false\n",
    "", "   \n", "\x00\x01\x02", "ruleset: t\nrules: !!python/object:os.system {}\n",
    "a: &x [*x]\n", "? [a]\n: b\n", "ruleset: t\n<<: {a: 1}\n",
]
SCHEMA = [
    "just a string\n", "[1, 2]\n", HEADER + "  - just text\n", 'ruleset: t\nrules: "x"\n',
    HEADER + "  - id: a\n    severity: 3\n    assert: true\n",
    HEADER + "  - id: a\n    when:\n", HEADER + "  - id: Not_Kebab\n    assert: true\n",
    HEADER + "  - id: a\n    asert: true\n", "ruleset: t\nversion: 3\nrules: []\n",
    HEADER + "  - id: a\n    assert: true\n    fix: 3\n", "rules: []\n",
]
BAD_EXPRESSIONS = [
    "a ==", "(a", "a)", "[1, 2", "2 ** 3", "a && b", "a || b", "!a", "a = 1", "1 +", "and",
    "not", "a b", '"unclosed', "any(for r in regions)", "x." , ".x", "[", "]", "()", "f(,)",
    "(" * 10_000 + "1" + ")" * 10_000, '"' + "x" * 1_000_000 + '"', "9" * 100, "1e999999",
    '__import__("os")', "region.__class__", "().__class__", "[].__class__.__mro__",
    "lambda: 1", 'exec("x")', "open", "a if b", "a else b", "\u202e1 == 1", "名前 == 1",
    "x == '\x00'", "1 + " * 5000 + "1", 'matches(task.data.x, "(a+)+$")',
    'matches(task.data.x, task.data.y)', "count(r for r in regions for o in)",
    "annotation.lead_tme > 1", "lenn(regions) > 1", '"a" < 3',
]


def run_check(tmp_path, capsys, text) -> tuple[int, str, str]:
    path = tmp_path / "ruleset.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    code = main(["check", str(path)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_clean(code, out, err):
    assert code in (1, 2), (code, out[-500:], err[-500:])
    assert "Traceback" not in out + err
    assert "internal error" not in out + err
    assert len(err.strip().splitlines()) <= 1, err


@pytest.mark.parametrize("text", BROKEN_YAML + SCHEMA)
def test_broken_or_invalid_files(tmp_path, capsys, text):
    code, out, err = run_check(tmp_path, capsys, text)
    assert_clean(code, out, err)
    assert code == 2


@pytest.mark.parametrize("expression", BAD_EXPRESSIONS)
@pytest.mark.parametrize("key", ["assert", "when", "fix", "message", "for"])
def test_bad_expressions(tmp_path, capsys, expression, key):
    value = {"fix": f"set region.x = {expression}", "message": "{" + expression + "}",
             "for": f"region where {expression}"}.get(key, expression)
    rule = {"id": "a", "for": "region", key: value}
    if key != "assert":
        rule.setdefault("assert", True)
    text = HEADER + "  - " + json.dumps(rule) + "\n"
    code, out, err = run_check(tmp_path, capsys, text)
    assert_clean(code, out, err)


@pytest.mark.parametrize("data", [b"\xff\xfe\x00garbage", b"ruleset: \xe9t\xe9\n", bytes(range(256))])
def test_binary_and_wrong_encoding(tmp_path, capsys, data):
    code, out, err = run_check(tmp_path, capsys, data)
    assert_clean(code, out, err)
    assert code == 2


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.text(max_size=200))
def test_fuzz_expressions(tmp_path_factory, expression):
    import contextlib
    import io

    path = tmp_path_factory.mktemp("fuzz") / "r.yaml"
    path.write_text(HEADER + "  - " + json.dumps({"id": "a", "assert": expression}) + "\n",
                    encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["check", str(path)])
    assert code in (0, 1, 2)
    assert "Traceback" not in out.getvalue() + err.getvalue()
    assert "internal error" not in out.getvalue() + err.getvalue()


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.binary(max_size=300))
def test_fuzz_files(tmp_path_factory, data):
    import contextlib
    import io

    path = tmp_path_factory.mktemp("fuzz") / "r.yaml"
    path.write_bytes(data)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["check", str(path)])
    assert code in (0, 1, 2)
    assert "Traceback" not in out.getvalue() + err.getvalue()
    assert "internal error" not in out.getvalue() + err.getvalue()
