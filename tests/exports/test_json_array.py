"""`json_array.iter_elements`: json's decoder one element at a time, whatever the chunking."""
from __future__ import annotations

import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lsrules.exports import json_array
from lsrules.exports.json_array import ArrayError, GiantElement, iter_elements

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10**30, 10**30)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=20)


def elements(data: bytes, chunk: int = 7) -> list:
    return list(iter_elements(io.BytesIO(data).read, chunk=chunk))


@settings(max_examples=300, deadline=None)
@given(st.lists(JSON_VALUES, max_size=6), st.integers(1, 64), st.sampled_from(["", " ", "\n  "]),
       st.booleans())
def test_any_array_reads_as_json_loads_reads_it(values, chunk, space, ascii_only):
    text = json.dumps(values, ensure_ascii=ascii_only, indent=space or None)
    data = (space + text + space).encode("utf-8", "surrogatepass")
    assert list(iter_elements(io.BytesIO(data).read, chunk=chunk)) == json.loads(text)


def test_a_number_cut_by_a_read_is_read_whole():
    assert elements(b"[12345678901234567890, 2.5e10, -7]", chunk=3) == \
        [12345678901234567890, 2.5e10, -7]


def test_a_character_cut_by_a_read_is_read_whole():
    text = '["é中😀", {"k": "ü"}]'
    assert elements(text.encode("utf-8"), chunk=1) == ["é中😀", {"k": "ü"}]


@pytest.mark.parametrize("data, message, index", [
    (b'[{"a": 1}, {"b": 2', "truncated JSON: the file ends after 1 complete task(s)", 1),
    (b'[{"a": 1}, {"b": "tex', "truncated JSON: the file ends after 1 complete task(s)", 1),
    (b'[{"a": 1}, {"b": tr', "truncated JSON: the file ends after 1 complete task(s)", 1),
    (b'[{"a": 1}', "truncated JSON: the file ends after 1 complete task(s)", 1),
    (b'[{"a": 1},', "truncated JSON: the file ends after 1 complete task(s)", 1),
    (b"[", "truncated JSON: the file ends after 0 complete task(s)", 0),
    (b'[{"id": 1,, }]', "invalid JSON: Expecting property name", 0),
    (b'[{"a": 1}, {"a": NaN}]', "invalid JSON: NaN is not JSON", 1),
    (b'[{"a": 1}, {"a": -Infinity}]', "invalid JSON: -Infinity is not JSON", 1),
    (b'[{"a": 1}, {"a": 1e400}]', "invalid JSON: the number 1e400 is too large", 1),
    (b'[{"a": 1}, {"a": -2.5E+999}]', "invalid JSON: the number -2.5E+999 is too large", 1),
    (b'[{"a": 1}, {"a": ' + b"9" * 5000 + b'}]',
     "invalid JSON: an integer of more than 4300 digits", 1),
    (b'[{"a": 1} {"a": 2}]', "invalid JSON: expected `,` or `]` after task #0", 1),
    (b'[{"a": 1},]', "invalid JSON: Expecting value", 1),
    (b'[{"a": 1}, {"a": "\xff"}]', "not valid UTF-8", 1),
    (b'[{"a": 1}, {"a": "\xc3"}]', "not valid UTF-8", 1),
    (b'[{"a": 1}, {"a": "x"}, "\xe4\xb8', "not valid UTF-8", 2),
    (b"[" + b"[" * 100_000 + b"]" * 100_000 + b"]", "JSON nested too deeply", 0),
    (b'[{"a": 1}] x', "unexpected text after the closing `]` of the task array", None),
    (b'{"a": 1}', "expected a JSON array", None),
])
def test_malformed_input_names_the_element(data, message, index):
    for chunk in (1, 5, 1 << 16):
        with pytest.raises(ArrayError) as raised:
            elements(data, chunk)
        assert raised.value.message.startswith(message), (chunk, raised.value.message)
        assert raised.value.index == index


def test_every_truncation_is_an_array_error_never_another_exception():
    data = json.dumps([{"id": 1, "data": {"text": "é \\ \" x", "n": -1.5e-3},
                        "annotations": [{"result": [True, None, 12]}]}] * 2).encode()
    for cut in range(len(data)):
        with pytest.raises(ArrayError):
            elements(data[:cut], chunk=3)


def test_an_element_over_the_giant_size_hands_over_its_bytes(monkeypatch):
    monkeypatch.setattr(json_array, "GIANT", 100)
    big = {"id": 2, "text": "é" * 300}
    data = json.dumps([{"id": 1}, big, {"id": 3}], ensure_ascii=False).encode()
    stream = io.BytesIO(data)
    found = []
    with pytest.raises(GiantElement) as raised:
        for value in iter_elements(stream.read, chunk=16):
            found.append(value)
    assert found == [{"id": 1}]
    assert raised.value.index == 1
    rest = b"[" + raised.value.pending + stream.read()
    assert json.loads(rest) == [big, {"id": 3}]
