"""Spec <-> canonical JSON.

Canonical means byte-stable: fixed key order, two-space indent, UTF-8, one trailing
newline, no timestamps or absolute paths. The same spec always dumps to the same bytes,
which is what lets a test regenerate the bundled files and compare them byte for byte.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping

from konvoy_portspec.errors import SpecFormatError
from konvoy_portspec.gc_pause import GcPaused
from konvoy_portspec.io.files import MAX_SPEC_SIZE, parse_json, read_bytes
from konvoy_portspec.io.files import write_atomic as write_atomic  # re-exported (old API)
from konvoy_portspec.io.schema_check import SchemaProblem, conforms, schema_problems
from konvoy_portspec.model import (
    INBOUND,
    SCHEMA_VERSION,
    Role,
    RoleMap,
    Rule,
    Source,
    Spec,
)

TYPE_CHECKING = False
if TYPE_CHECKING:  # `typing` stays off the CLI's start path
    from typing import Any


def rule_to_dict(rule: Rule) -> dict[str, Any]:
    out: dict[str, Any] = {
        "port": rule.port,
        "end_port": rule.end_port,
        "protocol": rule.protocol,
        "component": rule.component,
        "notes": rule.notes,
    }
    if rule.extra:
        out["extra"] = dict(rule.extra)
    if rule.direction != INBOUND:  # inbound is the default: version-1 files stay as written
        out["direction"] = rule.direction
    return out


def rule_event_dict(
    kind: str, role: str, rule: Rule, before: Rule | None, after: Rule | None, detail: str
) -> dict[str, Any]:
    """What happened to a rule as JSON data: the diff's changes and the log's entries.

    ``before``/``after`` are written only when both exist (changed and moved rules).
    """
    out: dict[str, Any] = {"kind": kind, "role": role, **rule_to_dict(rule)}
    out.pop("extra", None)  # extra fields are in ``before``/``after`` (changed, moved)
    if detail:
        out["detail"] = detail
    if before is not None and after is not None:
        out["before"] = rule_to_dict(before)
        out["after"] = rule_to_dict(after)
    return out


def source_to_dict(source: Source) -> dict[str, str]:
    """A spec's ``source`` as JSON data, in spec files and every report that names one."""
    return {"file": source.file, "sha256": source.sha256}


def _head(spec: Spec) -> dict[str, Any]:
    """The fields of a spec's JSON before its roles."""
    out: dict[str, Any] = {
        "schema_version": spec.schema_version,
        "product": spec.product,
        "release": spec.release,
    }
    if spec.source is not None:
        out["source"] = source_to_dict(spec.source)
    return out


def to_dict(spec: Spec) -> dict[str, Any]:
    out = _head(spec)
    out["roles"] = [
        {"id": role.id, "title": role.title, "ports": [rule_to_dict(r) for r in role.rules]}
        for role in spec.roles.ordered
    ]
    return out


def dumps(spec: Spec) -> str:
    """The canonical JSON text of a spec."""
    return "".join(iter_dumps(spec))


_ENCODER = json.JSONEncoder(indent=2, ensure_ascii=False)
#: Rules per piece of :func:`iter_dumps`: large enough that the pieces cost nothing,
#: small enough that a 200,000-rule spec never exists as one string.
PIECE_RULES = 2000


def _nested(value: Any, depth: int) -> str:
    """``value`` as ``json.dumps(indent=2)`` writes it ``depth`` levels down (a JSON
    string holds no line break, so indenting every line is safe)."""
    return _ENCODER.encode(value).replace("\n", "\n" + "  " * depth)


def iter_dumps(spec: Spec) -> Iterator[str]:
    """The canonical JSON text of a spec in pieces whose concatenation is
    ``json.dumps(to_dict(spec), indent=2, ensure_ascii=False) + "\\n"``.

    Why: the text of a spec is several times the size of its page, and writing it
    piece by piece keeps ``portspec extract`` of a very large page within its memory
    goal (see ``benchmarks/bench_memory.py``).
    """
    head = _head(spec)
    roles = spec.roles.ordered
    if not roles:
        head["roles"] = []
        yield _ENCODER.encode(head) + "\n"
        return
    parts = [_ENCODER.encode(head)[:-2], ',\n  "roles": [']
    for n, role in enumerate(roles):
        parts.append("\n    {" if n == 0 else ",\n    {")
        parts.append(f'\n      "id": {_ENCODER.encode(role.id)},')
        parts.append(f'\n      "title": {_ENCODER.encode(role.title)},')
        if not role.rules:
            parts.append('\n      "ports": []\n    }')
            continue
        parts.append('\n      "ports": [')
        for k, rule in enumerate(role.rules):
            lead = "\n        " if k == 0 else ",\n        "
            parts.append(lead + _nested(rule_to_dict(rule), 4))
            if len(parts) >= PIECE_RULES:
                yield "".join(parts)
                parts = []
        parts.append("\n      ]\n    }")
    parts.append("\n  ]\n}\n")
    yield "".join(parts)


def rule_from_dict(data: Mapping[str, Any]) -> Rule:
    # JSON Schema counts ``22.0`` as an integer; the model holds it as ``22``. Written
    # out here, not as a helper: a 100,000-rule spec calls this 100,000 times.
    port = data.get("port")
    if type(port) is float:
        port = int(port)
    end_port = data.get("end_port", port)
    if type(end_port) is float:
        end_port = int(end_port)
    extra = data.get("extra")
    return Rule(
        port,
        end_port,
        data.get("protocol", "tcp"),
        data.get("component", ""),
        data.get("notes", ""),
        tuple(sorted((str(k), str(v)) for k, v in extra.items())) if extra else (),
        data.get("direction", INBOUND),
    )


def from_dict(data: Mapping[str, Any]) -> Spec:
    """Build a spec from already-validated data (see :func:`validate_schema`)."""
    source = data.get("source")
    return Spec(
        release=data["release"],
        product=data.get("product", "konvoy"),
        # Version 1 files load as version 2: every rule in them is inbound.
        schema_version=SCHEMA_VERSION,
        source=Source(source["file"], source["sha256"]) if source else None,
        roles=RoleMap(
            Role(
                id=role["id"],
                title=role.get("title", role["id"]),
                rules=tuple(rule_from_dict(r) for r in role.get("ports", ())),
            )
            for role in data["roles"]
        ),
    )


def loads(text: str | bytes, *, path: str | None = None, check: bool = True) -> Spec:
    """Parse spec JSON; errors name the file and the line (of bad JSON, or of the first
    value the schema rejects)."""
    with GcPaused():
        data = parse_json(text, SpecFormatError, path)
    if check:
        require_conforming(data, path=path, text=text)
    try:
        with GcPaused():
            return from_dict(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise SpecFormatError(f"not a valid port spec: {exc}", path=path) from None


def load_file(path: str | os.PathLike[str]) -> Spec:
    """Read a spec JSON file written by ``portspec extract`` (or by hand)."""
    name, raw = read_bytes(path, SpecFormatError, "spec file", limit=MAX_SPEC_SIZE)
    return loads(raw, path=name)


def require_conforming(
    data: Any, *, path: str | None = None, text: str | bytes | None = None, what: str = "port spec"
) -> None:
    """Raise :class:`SpecFormatError` at the first schema problem of ``data`` (file and
    line when ``text`` is the file's), naming how many more there are."""
    if not conforms(data, text=text):
        _raise_first(schema_problems(data, text=text), what, path)


def _raise_first(problems: list[SchemaProblem], what: str, path: str | None) -> None:
    """The :class:`SpecFormatError` of the first of ``problems``, if there are any."""
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise SpecFormatError(f"not a valid {what}: {first}{more}", path=path, line=first.line)


def check_spec(spec: Spec, *, path: str | None = None) -> Spec:
    """``spec`` itself if it is one a spec file could hold; :class:`SpecFormatError`
    otherwise. The boundary for model objects built in code (``export``, the API): the
    same check as for files, so a newline in a release or a reversed range cannot reach
    an output by the door that skips the file."""
    data = to_dict(spec)
    problems = [] if conforms(data) else schema_problems(data)
    for role in spec.roles.ordered:
        for rule in role.rules:
            if rule.port is not None and rule.end_port is not None and rule.end_port < rule.port:
                problems.append(
                    SchemaProblem(
                        ("roles", role.id, "ports"),
                        f"reversed port range {rule.port}-{rule.end_port} ({rule.component})",
                    )
                )
    _raise_first(problems, "port spec", path)
    return spec
