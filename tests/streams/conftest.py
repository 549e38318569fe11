"""Stream tests need durable-rules: without it they fail (never skip), saying how to get it."""
from __future__ import annotations

import importlib.util

import pytest


@pytest.fixture(autouse=True)
def _durable_rules_installed(request):
    if request.node.get_closest_marker("stream") and importlib.util.find_spec("durable") is None:
        pytest.fail("durable-rules is not installed: stream tests need the stream extra "
                    "(CPPFLAGS=-O2 pip install -e '.[stream]'; scripts/test.sh does it)",
                    pytrace=False)
