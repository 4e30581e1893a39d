"""JSON text laid out for people, written at the speed of the C encoder.

``json.dumps(indent=2)`` falls back to the pure-Python encoder, which took a good part
of a ``portspec scan`` over 8,000 pages. Here the outer containers are laid out one item
per line, and the innermost objects (a rule, a change) are written by the C encoder on
one line each, which also makes the output easy to grep and to diff.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # `typing` stays off the CLI's path
    from collections.abc import Callable
    from typing import Any


def _no_default(value: object) -> object:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _compact_encoder() -> Callable[[Any], str]:
    """``json.JSONEncoder(ensure_ascii=False).encode``, without its set-up on every call.

    The encoder builds a C encoder object for each value it writes; a scan writes one
    value per rule (thousands), and building that object is a third of the cost, so one
    is built here and kept. Where the C encoder is missing, the pure-Python one is used.
    """
    import json.encoder

    # Not in the module's documented API, so looked up rather than imported.
    c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
    fallback: Callable[[Any], str] = json.JSONEncoder(ensure_ascii=False).encode
    if c_make_encoder is None:
        return fallback
    try:
        # markers=None: no check for circular containers (the values are fresh data).
        encode = c_make_encoder(
            None, _no_default, json.encoder.encode_basestring, None, ": ", ", ", *_FLAGS
        )

        def compact(value: Any) -> str:
            return "".join(encode(value, 0))

        if compact(_PROBE) == fallback(_PROBE):
            return compact
    except Exception:  # another Python's signature: the documented way, then
        pass
    return fallback


#: ``sort_keys``, ``skipkeys``, ``allow_nan`` as ``json.JSONEncoder`` has them by default.
_FLAGS = (False, False, True)
_PROBE = {"a": [1, 2.5, None, True, 'é\n"x"'], "b": {}}


_compact = _compact_encoder()


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
    elif depth == 1:  # the items on a line each (a scan writes thousands of rules)
        out += ["[\n", inner, (",\n" + inner).join(map(_compact, value)), "\n", pad, "]"]
    else:
        out.append("[\n")
        for i, v in enumerate(value):
            out += [",\n" if i else "", inner]
            out += _parts(v, depth - 1, indent, inner)
        out += ["\n", pad, "]"]
    return out
