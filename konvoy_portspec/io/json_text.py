"""JSON text laid out for people, written at the speed of the C encoder.

``json.dumps(indent=2)`` falls back to the pure-Python encoder, which took a good part
of a ``portspec scan`` over 8,000 pages. Here the outer containers are laid out one item
per line, and the innermost objects (a rule, a change) are written by the C encoder on
one line each, which also makes the output easy to grep and to diff.
"""

from __future__ import annotations

import json

TYPE_CHECKING = False
if TYPE_CHECKING:  # `typing` stays off the CLI's path
    from typing import Any

_compact = json.JSONEncoder(ensure_ascii=False).encode


def dumps(value: Any, depth: int, indent: str = "  ") -> str:
    """``value`` as JSON, with containers down to ``depth`` levels laid out on lines."""
    return "".join(_parts(value, depth, indent, ""))


def _parts(value: Any, depth: int, indent: str, pad: str) -> list[str]:
    if depth <= 0 or not isinstance(value, dict | list) or not value:
        return [_compact(value)]
    inner = pad + indent
    out: list[str] = []
    if isinstance(value, dict):
        out.append("{\n")
        for i, (k, v) in enumerate(value.items()):
            out += [",\n" if i else "", inner, _compact(str(k)), ": "]
            out += _parts(v, depth - 1, indent, inner)
        out += ["\n", pad, "}"]
    else:
        out.append("[\n")
        for i, v in enumerate(value):
            out += [",\n" if i else "", inner]
            out += _parts(v, depth - 1, indent, inner)
        out += ["\n", pad, "]"]
    return out
