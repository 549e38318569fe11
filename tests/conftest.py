"""Test-wide setup: the parse cache lives in a directory of this test run, never in ~/.cache.

Set before any test runs, so subprocesses (the CLI tests) inherit it too.
"""
from __future__ import annotations

import os
import tempfile

os.environ["LSRULES_CACHE_DIR"] = tempfile.mkdtemp(prefix="lsrules-test-cache-")
