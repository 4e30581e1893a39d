"""Spec <-> canonical JSON.

Canonical means byte-stable: fixed key order, two-space indent, UTF-8, one trailing
newline, no timestamps or absolute paths. The same spec always dumps to the same bytes,
which is what lets a test regenerate the bundled files and compare them byte for byte.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping

from konvoy_portspec.errors import SpecFormatError
from konvoy_portspec.gc_pause import paused
from konvoy_portspec.io.files import (
    write_atomic as write_atomic,  # re-exported: the API before files.py
)
from konvoy_portspec.model import (
    MAX_PORT,
    MIN_PORT,
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
    return out


def rule_event_dict(
    kind: str, role: str, rule: Rule, before: Rule | None, after: Rule | None, detail: str
) -> dict[str, Any]:
    """What happened to a rule as JSON data: the diff's changes and the log's entries.

    ``before``/``after`` are written only when both exist (changed and moved rules).
    """
    out: dict[str, Any] = {
        "kind": kind,
        "role": role,
        "port": rule.port,
        "end_port": rule.end_port,
        "protocol": rule.protocol,
        "component": rule.component,
        "notes": rule.notes,
    }
    if detail:
        out["detail"] = detail
    if before is not None and after is not None:
        out["before"] = rule_to_dict(before)
        out["after"] = rule_to_dict(after)
    return out


def to_dict(spec: Spec) -> dict[str, Any]:
    out: dict[str, Any] = {
        "schema_version": spec.schema_version,
        "product": spec.product,
        "release": spec.release,
    }
    if spec.source is not None:
        out["source"] = {"file": spec.source.file, "sha256": spec.source.sha256}
    out["roles"] = [
        {"id": role.id, "title": role.title, "ports": [rule_to_dict(r) for r in role.rules]}
        for role in spec.roles.ordered
    ]
    return out


def dumps(spec: Spec) -> str:
    """The canonical JSON text of a spec."""
    return json.dumps(to_dict(spec), indent=2, ensure_ascii=False) + "\n"


def _int(value: Any) -> Any:
    """JSON Schema counts ``22.0`` as an integer; the model holds it as ``22``."""
    return int(value) if type(value) is float else value


def rule_from_dict(data: Mapping[str, Any]) -> Rule:
    # ``_int`` inlined: a 100,000-rule spec calls this 100,000 times.
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
    )


def from_dict(data: Mapping[str, Any]) -> Spec:
    """Build a spec from already-validated data (see :func:`validate_schema`)."""
    source = data.get("source")
    return Spec(
        release=data["release"],
        product=data.get("product", "konvoy"),
        schema_version=_int(data.get("schema_version", SCHEMA_VERSION)),
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


def schema_errors(data: Any, schema_name: str = "schema.json") -> list[str]:
    """Violations of a bundled schema (the spec's by default) by ``data``, as
    ``path: message`` lines (empty when valid).

    jsonschema is imported here, not at module level: loading the bundled spec, which
    the tests already check against the schema, should not pay for it.
    """
    import jsonschema

    from konvoy_portspec.io.bundled import schema

    validator = jsonschema.Draft202012Validator(schema(schema_name))
    lines = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        where = "".join(
            f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p))
            for i, p in enumerate(error.absolute_path)
        )
        lines.append(f"{where or '(top level)'}: {error.message}")
    return lines


_ROLE_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_PROTOCOL = re.compile(r"[a-z0-9][a-z0-9-]*")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_TOP_KEYS = frozenset({"schema_version", "product", "release", "source", "roles"})
_RULE_KEYS = frozenset({"port", "end_port", "protocol", "component", "notes"})


def _port_ok(value: object) -> bool:
    return type(value) is int and MIN_PORT <= value <= MAX_PORT


def conforms(data: Any) -> bool:
    """True only for data the JSON Schema accepts: a fast path in front of jsonschema.

    Validating a 100,000-rule spec with jsonschema takes tens of seconds; this check
    takes a fraction of a second. It may reject something the schema would accept (then
    jsonschema decides, and names the problem), but it never accepts what the schema
    rejects: a test holds the two against each other.
    """
    if type(data) is not dict or not data.keys() <= _TOP_KEYS:
        return False
    if not {"schema_version", "product", "release", "roles"} <= data.keys():
        return False
    if type(data["schema_version"]) is not int or data["schema_version"] != SCHEMA_VERSION:
        return False
    for key in ("product", "release"):
        if type(data[key]) is not str or not data[key]:
            return False
    source = data.get("source", None)
    if "source" in data and not (
        type(source) is dict
        and source.keys() == {"file", "sha256"}
        and type(source["file"]) is str
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
        if type(role["id"]) is not str or not _ROLE_ID.fullmatch(role["id"]):
            return False
        if type(role["title"]) is not str or type(role["ports"]) is not list:
            return False
        for rule in role["ports"]:
            if type(rule) is not dict:
                return False
            keys = rule.keys()
            if keys != _RULE_KEYS and keys - {"extra"} != _RULE_KEYS:
                return False
            port, end = rule["port"], rule["end_port"]
            if port is None:
                if end is not None:
                    return False
            elif not (_port_ok(port) and _port_ok(end)):
                return False
            protocol = rule["protocol"]
            if type(protocol) is not str:
                return False
            if protocol not in protocols_ok:
                if not _PROTOCOL.fullmatch(protocol):
                    return False
                protocols_ok.add(protocol)
            if type(rule["component"]) is not str or type(rule["notes"]) is not str:
                return False
            extra = rule.get("extra")
            if "extra" in rule and not (
                type(extra) is dict and all(type(v) is str for v in extra.values())
            ):
                return False
    return True


def loads(text: str | bytes, *, path: str | None = None, check: bool = True) -> Spec:
    """Parse spec JSON; errors name the file and, for bad JSON, the line."""
    from konvoy_portspec.io.files import parse_json

    with paused():
        data = parse_json(text, SpecFormatError, path)
    if check and not conforms(data):
        problems = schema_errors(data)
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise SpecFormatError(f"not a valid port spec: {problems[0]}{more}", path=path)
    try:
        with paused():
            return from_dict(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise SpecFormatError(f"not a valid port spec: {exc}", path=path) from None


def load_file(path: str | os.PathLike[str]) -> Spec:
    """Read a spec JSON file written by ``portspec extract`` (or by hand)."""
    from konvoy_portspec.io.files import read_bytes

    name, raw = read_bytes(path, SpecFormatError, "spec file")
    return loads(raw, path=name)
