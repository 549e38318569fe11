"""The statistical suggester (docs/suggest.md): pure Python, no engine imports.

    from lsrules.suggest import Suggester
    suggester = Suggester.new({"target_accuracy": 0.98, "explore": 0.05})
    suggester.learn(task, annotation, approved_by="engine")
    suggester.suggest(task)  # Suggestion(label=None or str, confidence=...)
"""
from __future__ import annotations

from lsrules.suggest.suggester import Suggester, Suggestion

__all__ = ["Suggester", "Suggestion"]
