"""Checking spec data against the bundled JSON Schema: a fast check in front of
jsonschema, and problems as values (a JSON path, a message a person can act on, and the
line in the file), so that no caller has to re-parse an error string.

One check for every boundary: spec files, pages after extraction, and model objects
handed to an export all go through :func:`conforms` (and :func:`schema_problems` for the
message), so text that holds a newline or an escape sequence cannot slip in by one door
that another door would have shut.
"""

from __future__ import annotations

import json
import re

from konvoy_portspec.io import package_data
from konvoy_portspec.model import DIRECTIONS, MAX_PORT, MIN_PORT, SCHEMA_VERSIONS

TYPE_CHECKING = False
if TYPE_CHECKING:  # `typing` stays off the CLI's start path
    from typing import Any

#: What no text field may hold: C0 and C1 control characters (newlines, tabs, ANSI
#: escapes) and lone surrogates (they cannot be written as UTF-8). Mirrors the schema's
#: ``$defs/line`` pattern; a test holds the two together.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,99}")
#: A role id as the schema allows it (the exporters name chains and objects after it).
ROLE_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_PROTOCOL = re.compile(r"[a-z0-9][a-z0-9-]*")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_TOP_KEYS = frozenset({"schema_version", "product", "release", "source", "roles"})
_RULE_KEYS = frozenset({"port", "end_port", "protocol", "component", "notes"})
_OPTIONAL_RULE_KEYS = frozenset({"extra", "direction"})


class SchemaProblem:
    """One way data breaks the schema: where (a JSON path such as
    ``("roles", 0, "ports", 3, "port")``), what, and the line of the file if known."""

    __slots__ = ("line", "message", "path")

    def __init__(self, path: tuple[str | int, ...], message: str, line: int | None = None) -> None:
        self.path = path
        self.message = message
        self.line = line

    @property
    def where(self) -> str:
        """The path as ``roles[0].ports[3].port`` (``(top level)`` for the root)."""
        text = "".join(
            f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p))
            for i, p in enumerate(self.path)
        )
        return text or "(top level)"

    @property
    def role_index(self) -> int | None:
        """The index of the role the problem sits in, if it sits in one."""
        if len(self.path) >= 2 and self.path[0] == "roles" and isinstance(self.path[1], int):
            return self.path[1]
        return None

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"

    def __repr__(self) -> str:
        return f"SchemaProblem({self.path!r}, {self.message!r}, line={self.line!r})"


def control_character(text: str) -> str | None:
    """The first forbidden character of ``text`` as ``U+001B``, or ``None``."""
    found = CONTROL.search(text)
    return f"U+{ord(found.group()):04X}" if found else None


def _text_ok(value: object) -> bool:
    return type(value) is str and CONTROL.search(value) is None


def _is_str(value: object) -> bool:
    return type(value) is str


def port_ok(value: object) -> bool:
    """A port number: an int (not a bool) in 1-65535."""
    return type(value) is int and MIN_PORT <= value <= MAX_PORT


def _may_hold_control(raw: bytes) -> bool:
    """Whether JSON text can hold a string with a forbidden character. Raw control
    characters are not valid inside JSON strings, so one can only come from an escape
    (``\\u001b``, ``\\n``, ...: a backslash) or a raw C1 character (UTF-8 ``\\xc2``
    ``\\x80``-``\\x9f``). Two byte searches at memchr speed, instead of a regex per
    string: a third of the check's time on a large spec."""
    return b"\\" in raw or b"\xc2" in raw or b"\xed" in raw  # \xed: a surrogate (surrogatepass)


def conforms(data: Any, *, text: str | bytes | None = None) -> bool:
    """True only for data the JSON Schema accepts: a fast path in front of jsonschema.

    Validating a 100,000-rule spec with jsonschema takes tens of seconds; this check
    takes a fraction of a second. It may reject something the schema would accept (then
    jsonschema decides, and names the problem), but it never accepts what the schema
    rejects: a test holds the two against each other. With the JSON ``text`` the data was
    parsed from, strings are checked for control characters only if the text could hold
    one (see ``_may_hold_control``): a third of the check's time on a large spec.
    """
    if text is not None:
        raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
        text_ok = _text_ok if _may_hold_control(raw) else _is_str
    else:
        text_ok = _text_ok
    if type(data) is not dict or not data.keys() <= _TOP_KEYS:
        return False
    if not {"schema_version", "product", "release", "roles"} <= data.keys():
        return False
    if type(data["schema_version"]) is not int or data["schema_version"] not in SCHEMA_VERSIONS:
        return False
    for key in ("product", "release"):
        if type(data[key]) is not str or not _NAME.fullmatch(data[key]):
            return False
    source = data.get("source", None)
    if "source" in data and not (
        type(source) is dict
        and source.keys() == {"file", "sha256"}
        and text_ok(source["file"])
        and source["file"]
        and type(source["sha256"]) is str
        and _SHA256.fullmatch(source["sha256"])
    ):
        return False
    roles = data["roles"]
    if type(roles) is not list:
        return False
    protocols_ok: set[str] = set()  # a spec repeats a handful of protocols many times
    for role in roles:
        if type(role) is not dict or role.keys() != {"id", "title", "ports"}:
            return False
        if type(role["id"]) is not str or not ROLE_ID.fullmatch(role["id"]):
            return False
        if not text_ok(role["title"]) or type(role["ports"]) is not list:
            return False
        for rule in role["ports"]:
            if type(rule) is not dict:
                return False
            keys = rule.keys()
            if keys != _RULE_KEYS and keys - _OPTIONAL_RULE_KEYS != _RULE_KEYS:
                return False
            if "direction" in rule and rule["direction"] not in DIRECTIONS:
                return False
            port, end = rule["port"], rule["end_port"]
            if port is None:
                if end is not None:
                    return False
            elif not (port_ok(port) and port_ok(end)):
                return False
            protocol = rule["protocol"]
            if type(protocol) is not str:
                return False
            if protocol not in protocols_ok:
                if not _PROTOCOL.fullmatch(protocol):
                    return False
                protocols_ok.add(protocol)
            if not (text_ok(rule["component"]) and text_ok(rule["notes"])):
                return False
            extra = rule.get("extra")
            if "extra" in rule and not (
                type(extra) is dict and all(text_ok(v) for v in extra.values())
            ):
                return False
    return True


def schema_problems(
    data: Any, schema_name: str = "schema.json", *, text: str | bytes | None = None
) -> list[SchemaProblem]:
    """Every way ``data`` breaks a bundled schema (the spec's by default), in document
    order; empty when it holds. With the file's ``text``, each problem has its line.

    jsonschema is imported here, not at module level: loading the bundled spec, which
    the tests already check against the schema, should not pay for it.
    """
    import jsonschema

    validator = jsonschema.Draft202012Validator(package_data.schema(schema_name))
    out = []
    errors = sorted(
        validator.iter_errors(data),
        key=lambda e: [(0, p, "") if isinstance(p, int) else (1, 0, p) for p in e.path],
    )
    for error in errors:
        path = tuple(error.absolute_path)
        line = line_of(text, path) if text is not None else None
        out.append(SchemaProblem(path, _message(error), line))
    return out


def _message(error: Any) -> str:
    """jsonschema's message, said the way a person fixing the file needs it."""
    value = error.instance
    key = error.absolute_path[-1] if error.absolute_path else None
    if key in ("port", "end_port") and error.validator in ("oneOf", "anyOf"):
        if type(value) is int:
            return f"{key} {value} is out of range {MIN_PORT}-{MAX_PORT}"
        return f"{key} must be a whole number {MIN_PORT}-{MAX_PORT} or null, not {value!r}"
    if error.validator == "pattern" and isinstance(value, str):
        bad = control_character(value)
        if bad is not None:
            return (
                f"{value!r} holds the control character {bad} (text must be one line, "
                "without control characters)"
            )
        if key in ("release", "product"):
            return f"{value!r} is not a {key} name (letters, digits, '.', '_', '+', '-')"
        if key == "id":
            return f"{value!r} is not a role id (lower-case letters and digits, single '-')"
        if key == "protocol":
            return f"{value!r} is not a protocol name (lower-case letters, digits, '-')"
    if error.validator in ("oneOf", "anyOf") and error.context:
        best = min(error.context, key=lambda e: len(e.path))
        return str(best.message)
    return str(error.message)


def line_of(text: str | bytes | None, path: tuple[str | int, ...]) -> int | None:
    """The line where the value at ``path`` starts in the JSON ``text`` (1-based), or
    ``None`` if the text does not hold that path."""
    if text is None:
        return None
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            return None
    decoder = json.JSONDecoder()
    pos: int | None = _skip(text, 0)
    try:
        for step in path:
            assert pos is not None
            pos = _child(text, pos, step, decoder)
            if pos is None:
                return None
    except (ValueError, IndexError, RecursionError):
        return None
    return None if pos is None else text.count("\n", 0, pos) + 1


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n\ufeff":
        pos += 1
    return pos


def _child(text: str, pos: int, step: str | int, decoder: json.JSONDecoder) -> int | None:
    """Position of member ``step`` of the object or array starting at ``pos``."""
    opener = text[pos]
    if opener not in "{[":
        return None
    pos = _skip(text, pos + 1)
    index = 0
    while text[pos] not in "}]":
        if opener == "{":
            key, pos = json.decoder.scanstring(text, pos + 1)  # type: ignore[attr-defined]
            pos = _skip(text, pos)
            pos = _skip(text, pos + 1)  # the colon
            here = key == step
        else:
            here = index == step
        if here:
            return pos
        _, pos = decoder.raw_decode(text, pos)
        pos = _skip(text, pos)
        if text[pos] == ",":
            pos = _skip(text, pos + 1)
        index += 1
    return None
