"""firewalld -> the ports it opens: a service file (firewalld.service(5): ``<port
protocol="tcp" port="30000-32767"/>``, ``<protocol value="ipencap"/>``) or what
``firewall-cmd --list-all`` (also ``--list-all-zones``) prints for a zone.

A zone opens its ``ports:`` and ``protocols:``, the ports of its ``services:`` (read
from firewalld's service files: ``/etc/firewalld/services`` before
``/usr/lib/firewalld/services``, as firewalld does, or the folders given), simple
accepting ``rich rules`` (a ``port``, ``protocol`` or ``service`` element and
``accept``), and everything when its target is ``ACCEPT``. When a listing marks some
zones active, only those count.

A service file written by ``portspec export --format firewalld`` names its release and
role in ``<short>Konvoy v2.1 worker</short>``: its rules take that role (also when a
zone lists the service), and the file's release is the one checked by default.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from xml.parsers import expat

from konvoy_portspec.analysis.firewall.ruleset import (
    ANY,
    FirewallRule,
    RulesError,
    RuleSet,
    Skipped,
)
from konvoy_portspec.errors import PortSpecError
from konvoy_portspec.io.files import read_bytes
from konvoy_portspec.io.schema_check import ROLE_ID
from konvoy_portspec.model import MAX_PORT, MIN_PORT
from konvoy_portspec.protocols import PORT_PROTOCOLS, canonical

#: Where firewalld keeps service files; the first folder that has one wins.
SERVICE_DIRS = ("/etc/firewalld/services", "/usr/lib/firewalld/services")
#: The ``<short>`` of an exported service: ``Konvoy v2.1 worker``.
_EXPORT_SHORT = re.compile(f"^Konvoy ([A-Za-z0-9][A-Za-z0-9._+-]*) ({ROLE_ID.pattern})$")
_SERVICE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")
_ZONE_KEY = re.compile(r"^[ \t]+([a-z][a-z0-9 -]*):(?:[ \t](.*))?$")
#: Services include services; none nests deeper than a few levels.
_MAX_INCLUDES = 8


@dataclass(slots=True)
class Service:
    """What one service file opens, the services it includes, and its release and
    role when an export wrote it."""

    rules: list[FirewallRule] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    includes: list[tuple[str, int]] = field(default_factory=list)
    release: str | None = None
    role: str | None = None


def _span(text: str, where: str) -> tuple[int, int] | None:
    """firewalld's ``22`` or ``30000-32767`` -> a range; ``""`` -> ``None``."""
    if not text:
        return None
    parts = text.split("-")
    if len(parts) > 2 or not all(p.isdigit() and MIN_PORT <= int(p) <= MAX_PORT for p in parts):
        raise RulesError(f"not a port: {text!r} in {where}")
    start, end = int(parts[0]), int(parts[-1])
    if start > end:
        raise RulesError(f"reversed port range {text!r} in {where}")
    return start, end


def port_rule(
    protocol: str, port: str, *, line: int = 0, where: str = "", text: str | None = None
) -> FirewallRule:
    """A ``port``/``protocol`` pair: one port, a range, or (port empty) the protocol.
    ``text``: what the input said, when it is not ``port/protocol``."""
    proto = canonical(protocol)
    if text is None:
        text = f"{port}/{protocol}" if port else protocol
    span = _span(port, where or f"line {line}")
    if span is None and proto in PORT_PROTOCOLS:
        span = (MIN_PORT, MAX_PORT)  # a port protocol without a port: all its ports
    if span is None:
        return FirewallRule(proto, None, None, line=line, text=text, where=where)
    return FirewallRule(proto, span[0], span[1], line=line, text=text, where=where)


def read_service(text: str | bytes, path: str | None = None) -> Service:
    """A service file's ports, protocols and includes, with their lines.

    A document type declaration is refused: service files have none, and without one
    no entity can expand ("billion laughs") or be fetched."""
    service = Service()
    parser = expat.ParserCreate()
    stack: list[str] = []
    short: list[str] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        stack.append(name)
        line = parser.CurrentLineNumber
        if len(stack) == 1 and name != "service":
            raise RulesError(f"not a firewalld service file: <{name}> at the top", line=line)
        if len(stack) != 2:
            return
        if name == "port":
            rule = port_rule(attrs.get("protocol", ""), attrs.get("port", ""), line=line)
            service.rules.append(rule)
        elif name == "protocol":
            service.rules.append(port_rule(attrs.get("value", ""), "", line=line))
        elif name == "include":
            service.includes.append((attrs.get("service", ""), line))
        elif name in ("source-port", "destination"):
            service.skipped.append(Skipped(line, f"<{name}> is not checked", f"<{name}>"))

    def end(name: str) -> None:
        stack.pop()

    def chars(data: str) -> None:
        if stack[-2:] == ["service", "short"]:
            short.append(data)

    def doctype(*_: object) -> None:
        raise RulesError("a document type declaration is not allowed in a service file")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.StartDoctypeDeclHandler = doctype
    try:
        parser.Parse(text, True)
    except expat.ExpatError as exc:
        message = expat.errors.messages[exc.code]
        raise RulesError(f"not well-formed XML: {message}", path=path, line=exc.lineno) from None
    except PortSpecError as exc:
        raise exc.with_location(path=path, line=parser.CurrentLineNumber) from None
    marker = _EXPORT_SHORT.match("".join(short).strip())
    if marker:
        service.release, service.role = marker.group(1), marker.group(2)
        service.rules = [r.with_role(marker.group(2)) for r in service.rules]
    return service


def _find_service(name: str, dirs: Sequence[str]) -> str | None:
    for folder in dirs:
        candidate = os.path.join(folder, f"{name}.xml")
        if os.path.isfile(candidate):
            return candidate
    return None


def service_rules(
    name: str, dirs: Sequence[str], *, line: int, seen: tuple[str, ...] = ()
) -> tuple[list[FirewallRule], list[Skipped]]:
    """What service ``name`` opens (its includes too), read from the first of ``dirs``
    that has it, each rule placed at ``line`` of the input that named the service."""
    if not _SERVICE_NAME.match(name):
        return [], [Skipped(line, f"service {name!r} is not a service name", name)]
    if name in seen or len(seen) > _MAX_INCLUDES:
        return [], [Skipped(line, f"service {name} includes itself", name)]
    path = _find_service(name, dirs)
    if path is None:
        why = f"service {name}: no {name}.xml in {', '.join(dirs) or 'no folder'}; not checked"
        return [], [Skipped(line, why, name)]
    file, raw = read_bytes(path, RulesError, "service file")
    service = read_service(raw, file)
    where = f"line {line}, service {name}"
    rules = [replace(r, line=line, where=f"{where} ({file}:{r.line})") for r in service.rules]
    skipped = [replace(s, line=line, where=where) for s in service.skipped]
    more, more_skipped = _included(service, dirs, line, (*seen, name))
    return rules + more, skipped + more_skipped


def _included(
    service: Service, dirs: Sequence[str], line: int | None, seen: tuple[str, ...] = ()
) -> tuple[list[FirewallRule], list[Skipped]]:
    """What the services ``service`` includes open, under its role when they name none;
    each placed at ``line``, or (``None``) at the line of its include."""
    rules: list[FirewallRule] = []
    skipped: list[Skipped] = []
    for included, where in service.includes:
        more, more_skipped = service_rules(
            included, dirs, line=where if line is None else line, seen=seen
        )
        rules += [r.with_role(service.role) if service.role and not r.role else r for r in more]
        skipped += more_skipped
    return rules, skipped


def parse_service_xml(
    text: str, *, path: str | None = None, service_dirs: Sequence[str] = SERVICE_DIRS
) -> RuleSet:
    """A firewalld service file -> what a zone that lists it opens."""
    service = read_service(text, path)
    more, more_skipped = _included(service, service_dirs, None)
    rules, skipped = [*service.rules, *more], [*service.skipped, *more_skipped]
    roles = (service.role,) if service.role else ()
    return RuleSet(
        tuple(rules), roles, tuple(skipped), path, service.release, input_format="firewalld-xml"
    )


# --- firewall-cmd --list-all ---------------------------------------------------------


def looks_like_firewall_cmd(text: str) -> bool:
    """``firewall-cmd --list-all`` prints indented ``key: value`` lines for a zone."""
    keys = {m.group(1) for m in map(_ZONE_KEY.match, text.splitlines()[:80]) if m}
    return len(keys & {"target", "services", "ports", "protocols", "interfaces"}) >= 2


def _rich_rule(
    text: str, line: int, dirs: Sequence[str], zone: str
) -> tuple[list[FirewallRule], list[Skipped]]:
    """A rich rule that accepts a port, protocol or service (or, with no such element,
    everything from its source)."""
    where = f"line {line}, zone {zone} rich rule"
    try:
        words = shlex.split(text)
    except ValueError:
        return [], [Skipped(line, "rich rule that cannot be split", text)]
    if "accept" not in words:
        return [], [Skipped(line, "rich rule that does not accept", text)]
    if "not" in words:
        return [], [Skipped(line, "negated match (not) is not checked", text)]
    for i, word in enumerate(words):
        attrs: dict[str, str] = {}
        for item in words[i + 1 :]:
            if "=" not in item:
                break
            key, _, value = item.partition("=")
            attrs[key] = value
        if word == "port" and "port" in attrs:
            protocol, port = attrs.get("protocol", ""), attrs["port"]
            return [port_rule(protocol, port, line=line, where=where, text=text)], []
        if word == "protocol" and "value" in attrs:
            return [port_rule(attrs["value"], "", line=line, where=where, text=text)], []
        if word == "service" and "name" in attrs:
            return service_rules(attrs["name"], dirs, line=line)
        if word in ("source-port", "forward-port", "icmp-block", "icmp-type", "masquerade"):
            return [], [Skipped(line, f"rich rule with {word} is not checked", text)]
    return [FirewallRule(ANY, None, None, line=line, text=text, where=where)], []


def parse_firewall_cmd(
    text: str, *, path: str | None = None, service_dirs: Sequence[str] = SERVICE_DIRS
) -> RuleSet:
    """``firewall-cmd --list-all`` (or ``--list-all-zones``) output -> what the zones
    open; with zones marked ``(active)``, only those."""
    zones: list[tuple[str, bool, list[tuple[int, str, str]]]] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        if not raw[0].isspace():
            name, _, rest = raw.strip().partition(" ")
            zones.append((name, "active" in rest, []))
            continue
        if not zones:
            zones.append(("(zone)", False, []))
        stripped = raw.strip()
        if stripped.startswith("rule ") or stripped == "rule":
            zones[-1][2].append((lineno, "rich rule", stripped))
            continue
        found = _ZONE_KEY.match(raw)
        if found:
            zones[-1][2].append((lineno, found.group(1), (found.group(2) or "").strip()))
    any_active = any(active for _, active, _ in zones)
    rules: list[FirewallRule] = []
    skipped: list[Skipped] = []
    for zone, active, entries in zones:
        if any_active and not active:
            skipped += [
                Skipped(n, f"zone {zone} is not active", f"{key}: {value}")
                for n, key, value in entries
                if (key in ("ports", "protocols", "services", "rich rule") and value)
                or (key == "target" and value.upper() == "ACCEPT")
            ]
            continue
        for n, key, value in entries:
            try:
                found_rules, found_skipped = _zone_entry(zone, n, key, value, service_dirs)
            except PortSpecError as exc:
                raise exc.with_location(path=path, line=n) from None
            rules += found_rules
            skipped += found_skipped
    return RuleSet(tuple(rules), (), tuple(skipped), path, input_format="firewall-cmd")


def _zone_entry(
    zone: str, line: int, key: str, value: str, dirs: Sequence[str]
) -> tuple[list[FirewallRule], list[Skipped]]:
    """What one ``key: value`` line of a zone opens."""
    where = f"line {line}, zone {zone} {key}"
    if key == "target" and value.upper() == "ACCEPT":
        return [FirewallRule(ANY, None, None, line=line, text=f"target: {value}", where=where)], []
    if key == "ports":
        out = []
        for item in value.split():
            port, _, protocol = item.partition("/")
            out.append(port_rule(protocol, port, line=line, where=where, text=item))
        return out, []
    if key == "protocols":
        return [port_rule(word, "", line=line, where=where) for word in value.split()], []
    if key == "services":
        rules: list[FirewallRule] = []
        skipped: list[Skipped] = []
        for name in value.split():
            more, more_skipped = service_rules(name, dirs, line=line)
            rules += more
            skipped += more_skipped
        return rules, skipped
    if key == "rich rule":
        return _rich_rule(value, line, dirs, zone)
    return [], []
