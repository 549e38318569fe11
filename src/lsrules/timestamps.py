"""Label Studio's time stamps as seconds and back: one reading for stream time, run's
feed order, the cluster's and the report's, so they all agree on what a `created_at` means."""
from __future__ import annotations

from datetime import datetime, timezone


def parse_time(value) -> float | None:
    """ISO 8601 (`2024-05-01T10:00:00.123Z`, as Label Studio writes) -> seconds; None if not."""
    if not isinstance(value, str) or not 10 <= len(value) <= 40:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def format_time(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
