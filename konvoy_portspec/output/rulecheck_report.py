"""A :class:`~konvoy_portspec.analysis.firewall.RuleCheck` as text (``-`` for a spec port
the rules do not open, ``+`` for what they open beyond the spec) or as JSON
(``spec/check-rules.schema.json``), shaped as the other reports are: a role object is
identified by ``id``, a finding names its role as ``role``, ports are numbers and port
ranges ``port``/``end_port`` pairs, and ``source`` is ``{"file", "sha256"}`` as in a
spec. Text from the rules input (comments, file names) reaches a terminal only through
:func:`~konvoy_portspec.output.escape.terminal_text`."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from konvoy_portspec.analysis.firewall import (
    NOT_IN_SPEC,
    NOT_OPENED,
    UNKNOWN_ROLE,
    Finding,
    FirewallRule,
    RuleCheck,
)
from konvoy_portspec.io.spec_json import rule_to_dict, source_to_dict
from konvoy_portspec.model import Rule
from konvoy_portspec.output.escape import terminal_text

#: One-character markers of the text report, per kind of finding.
MARKERS = {NOT_OPENED: "-", NOT_IN_SPEC: "+", UNKNOWN_ROLE: "!"}
#: What the skipped rules of each input format are, for the report's last lines.
SKIPPED = {
    "iptables": "not INPUT ACCEPT rules that open ports",
    "page": "not INPUT ACCEPT rules that open ports",
    "nft-json": "not accepting rules reached from an input hook",
    "firewalld-xml": "elements that open no port",
    "firewall-cmd": "entries not read or not active",
}


def _spans_text(spans: Sequence[tuple[int, int]]) -> str:
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def _label(rule: Rule) -> str:
    parts = ", ".join(p for p in (rule.component, rule.notes) if p)
    return f" ({parts})" if parts else ""


def finding_message(finding: Finding) -> str:
    """One sentence: what differs, where in the spec or on which line of the rules."""
    if finding.kind == UNKNOWN_ROLE:
        return f"the rules are for role {finding.role!r}, which the spec does not have"
    if finding.spec_rule is not None:
        rule = finding.spec_rule
        what = rule.where + _label(rule)
        if finding.partial:
            return (
                f"{what}: in the spec, only partly opened by the rules "
                f"({_spans_text(finding.missing)} not opened)"
            )
        return f"{what}: in the spec, not opened by the rules"
    assert finding.firewall_rule is not None
    fw = finding.firewall_rule
    where = f" ({fw.location}" + (f', "{fw.comment}")' if fw.comment else ")")
    if finding.partial:
        return f"{fw}{where}: opens {_spans_text(finding.missing)}, which the spec does not list"
    return f"{fw}{where}: opened by the rules, not in the spec"


def format_text(check: RuleCheck) -> str:
    source = check.path or "the rules"
    out = [f"check-rules: {source} ({check.input_format}) against {check.product} {check.release}"]
    total = 0
    for role in check.roles:
        n = len(role.findings)
        total += n
        state = "agree" if not n else f"{n} difference{'s' if n != 1 else ''}"
        out.append(
            f"{role.role} ({role.title}): {role.spec_rules} spec rules, "
            f"{role.firewall_rules} firewall rules: {state}"
        )
        for finding in role.findings:
            out.append(f"  {MARKERS.get(finding.kind, '!')} {finding_message(finding)}")
    if check.skipped:
        n = len(check.skipped)
        out.append(f"({n} rule{'s' if n != 1 else ''} skipped: {SKIPPED[check.input_format]})")
    if total:
        where = sum(1 for r in check.roles if r.findings)
        out.append(f"{total} difference{'s' if total != 1 else ''} in {where} role(s).")
    else:
        out.append("The rules open exactly the spec's ports.")
    return "\n".join(terminal_text(line) for line in out) + "\n"


def _span(start: int, end: int) -> dict[str, int]:
    return {"port": start, "end_port": end}


def firewall_rule_to_dict(rule: FirewallRule) -> dict[str, Any]:
    """A rule of the input: what it opens and where it is (``line`` is null where the
    input has no lines, as ``nft -j`` JSON; ``location`` always says where)."""
    return {
        "port": rule.port,
        "end_port": rule.end_port,
        "protocol": rule.protocol,
        "icmp_type": rule.icmp_type or None,
        "comment": rule.comment,
        "line": rule.line or None,
        "location": rule.location,
        "chain": rule.chain or None,
    }


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": finding.kind,
        "role": finding.role,
        "message": finding_message(finding),
    }
    if finding.spec_rule is not None:
        out["spec_rule"] = rule_to_dict(finding.spec_rule)
    if finding.firewall_rule is not None:
        out["firewall_rule"] = firewall_rule_to_dict(finding.firewall_rule)
    if finding.missing:
        out["ports"] = [_span(*s) for s in finding.missing]
    return out


def to_dict(check: RuleCheck) -> dict[str, Any]:
    out: dict[str, Any] = {"product": check.product, "release": check.release}
    if check.source is not None:
        out["source"] = source_to_dict(check.source)
    out["input_format"] = check.input_format
    out["agree"] = not check
    out["roles"] = [
        {
            "id": r.role,
            "title": r.title,
            "spec_rules": r.spec_rules,
            "firewall_rules": r.firewall_rules,
            "findings": [finding_to_dict(f) for f in r.findings],
        }
        for r in check.roles
    ]
    out["skipped"] = [
        {"line": s.line or None, "location": s.location, "reason": s.reason, "text": s.text}
        for s in check.skipped
    ]
    return out


def format_json(check: RuleCheck) -> str:
    return json.dumps(to_dict(check), indent=2, ensure_ascii=False) + "\n"


FORMATTERS: dict[str, Callable[[RuleCheck], str]] = {"text": format_text, "json": format_json}


def format_check(check: RuleCheck, fmt: str = "text") -> str:
    return FORMATTERS[fmt](check)
