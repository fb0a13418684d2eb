"""Whether a value is plain JSON: what a JSON column, an audit hash or a serialized workflow holds as it is."""

from __future__ import annotations

from typing import Any

_SCALARS = (str, int, float, bool, type(None))  # NaN and infinities round-trip as themselves


def is_plain(value: Any, depth: int = 0) -> bool:
    """Whether value is made only of str-keyed dicts, lists and JSON scalars (no subclasses of dict or list), at
    most 32 levels deep below `depth`."""
    if isinstance(value, _SCALARS):
        return True
    if depth > 32:
        return False
    if type(value) is dict:
        return all(type(k) is str and is_plain(v, depth + 1) for k, v in value.items())
    if type(value) is list:
        return all(is_plain(v, depth + 1) for v in value)
    return False
