"""`lsrules` as the tests start it in a subprocess.

Identical to the `lsrules` command, except that with LSRULES_TEST_STAND_IN_ENGINE=1 it
uses the stand-in engine of the unit tests: a way to exercise the service against a real
Label Studio before (or regardless of) the real engine. CI runs without it.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

if os.environ.get("LSRULES_TEST_STAND_IN_ENGINE") == "1":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.labelstudio.stand_in_engine import StandInEngine

    import lsrules

    lsrules.load = lambda *paths, **options: StandInEngine()

from lsrules.cli import main

if __name__ == "__main__":
    sys.exit(main())
