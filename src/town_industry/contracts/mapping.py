"""A declaration's mapping as a dataclass, refusing what it does not know with the file and key."""
from __future__ import annotations

from dataclasses import fields


def strict(kind: type, raw, where: str, **converted):
    """``kind(**raw)`` (``converted`` replacing values), or a ValueError that says ``where`` and which key:
    a misspelled key is named with the allowed ones, a missing one by the TypeError's own words."""
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: expected a mapping of keys, got {raw!r}")
    allowed = [f.name for f in fields(kind)]
    unknown = sorted(set(raw) - set(allowed))
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {unknown} (allowed: {', '.join(allowed)})")
    try:
        return kind(**{**raw, **converted})
    except TypeError as exc:  # a required key missing
        raise ValueError(f"{where}: {exc}") from None
