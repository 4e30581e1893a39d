"""The front door for any rules input: tell its format, read it, remember its bytes'
sha256 so a report can say exactly which input it checked.

Formats (:data:`INPUT_FORMATS`), told apart by their first characters unless named:
``nft-json`` (a JSON object), ``firewalld-xml`` (XML), ``page`` (a markdown page: a
``.md`` name or fenced code blocks), ``firewall-cmd`` (``--list-all``'s indented
``key: value`` lines), else ``iptables`` (a rules script or ``iptables-save``).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import replace

from konvoy_portspec.analysis.firewall.firewalld import (
    SERVICE_DIRS,
    looks_like_firewall_cmd,
    parse_firewall_cmd,
    parse_service_xml,
)
from konvoy_portspec.analysis.firewall.iptables_rules import parse_rules_text
from konvoy_portspec.analysis.firewall.nft_json import parse_nft_json
from konvoy_portspec.analysis.firewall.rules_page import looks_like_page, parse_rules_page
from konvoy_portspec.analysis.firewall.ruleset import INPUT_FORMATS, RulesError, RuleSet
from konvoy_portspec.extraction import decode
from konvoy_portspec.io.files import read_bytes
from konvoy_portspec.model import Source

#: What each format's rules are, for the message when an input opens nothing.
_WHAT = {
    "iptables": "iptables INPUT ACCEPT rules",
    "page": "iptables INPUT ACCEPT rules",
    "nft-json": "nft rules that accept in a chain hooked on input (or jumped to from one)",
    "firewalld-xml": "ports or protocols in the service",
    "firewall-cmd": "ports, protocols or services in the zone listing",
}


def detect_format(text: str, path: str | None = None) -> str:
    """The format of a rules input (one of :data:`INPUT_FORMATS`)."""
    head = text.lstrip("\ufeff \t\r\n")[:1]
    if head == "{":
        return "nft-json"
    if head == "<":
        return "firewalld-xml"
    if looks_like_page(text, path):
        return "page"
    if looks_like_firewall_cmd(text):
        return "firewall-cmd"
    return "iptables"


def parse_rules(
    text: str,
    *,
    path: str | None = None,
    role: str | None = None,
    input_format: str | None = None,
    service_dirs: Sequence[str] = SERVICE_DIRS,
) -> RuleSet:
    """Any supported input, of ``input_format`` or the format it looks like.

    ``role`` names the role of rules that do not say theirs. Raises
    :class:`RulesError` when the input opens no port at all (it is probably not a
    rules input), naming the file.
    """
    kind = input_format or detect_format(text, path)
    if kind not in INPUT_FORMATS:
        raise RulesError(f"unknown input format {kind!r}", path=path)
    if kind == "page":
        ruleset = parse_rules_page(text, path=path)
    elif kind == "nft-json":
        ruleset = parse_nft_json(text, path=path)
    elif kind == "firewalld-xml":
        ruleset = parse_service_xml(text, path=path, service_dirs=service_dirs)
    elif kind == "firewall-cmd":
        ruleset = parse_firewall_cmd(text, path=path, service_dirs=service_dirs)
    else:
        ruleset = parse_rules_text(text, path=path)
    ruleset = replace(ruleset, input_format=kind)
    if role:
        ruleset = ruleset.with_default_role(role)
    if not ruleset.rules:
        found = f" ({len(ruleset.skipped)} other rules skipped)" if ruleset.skipped else ""
        raise RulesError(f"no {_WHAT[kind]} found{found}", path=path)
    return ruleset


def read_rules_file(
    path: str | os.PathLike[str],
    *,
    role: str | None = None,
    input_format: str | None = None,
    service_dirs: Sequence[str] = SERVICE_DIRS,
) -> RuleSet:
    """Read and parse a rules input; ``-`` reads standard input (``iptables-save |
    portspec check-rules -``), named ``<stdin>``. The rule set's ``source`` holds the
    name and the sha256 of the bytes read."""
    name, raw = read_bytes(path, RulesError, "rules file")
    ruleset = parse_rules(
        decode(raw, name),
        path=name,
        role=role,
        input_format=input_format,
        service_dirs=service_dirs,
    )
    return replace(ruleset, source=Source(name, hashlib.sha256(raw).hexdigest()))
