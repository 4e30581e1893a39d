"""A :class:`~konvoy_portspec.analysis.firewall.RuleCheck` as text (``-`` for a spec port
the rules do not open, ``+`` for what they open beyond the spec) or as JSON, where a
role is identified by ``id`` as in the spec's own JSON."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from konvoy_portspec.analysis.firewall import (
    NOT_IN_SPEC,
    NOT_OPENED,
    UNKNOWN_ROLE,
    Finding,
    RuleCheck,
)
from konvoy_portspec.io.spec_json import rule_to_dict
from konvoy_portspec.model import Rule

#: One-character markers of the text report, per kind of finding.
MARKERS = {NOT_OPENED: "-", NOT_IN_SPEC: "+", UNKNOWN_ROLE: "!"}


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
    where = f" (line {fw.line}" + (f', "{fw.comment}")' if fw.comment else ")")
    if finding.partial:
        return f"{fw}{where}: opens {_spans_text(finding.missing)}, which the spec does not list"
    return f"{fw}{where}: opened by the rules, not in the spec"


def format_text(check: RuleCheck) -> str:
    source = check.source or "the rules"
    out = [f"check-rules: {source} against {check.product} {check.release}"]
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
        out.append(f"({len(check.skipped)} rules skipped: not INPUT ACCEPT rules that open ports)")
    if total:
        where = sum(1 for r in check.roles if r.findings)
        out.append(f"{total} difference{'s' if total != 1 else ''} in {where} role(s).")
    else:
        out.append("The rules open exactly the spec's ports.")
    return "\n".join(out) + "\n"


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": finding.kind,
        "role": finding.role,
        "message": finding_message(finding),
    }
    if finding.spec_rule is not None:
        out["spec_rule"] = rule_to_dict(finding.spec_rule)
    if finding.firewall_rule is not None:
        f = finding.firewall_rule
        out["firewall_rule"] = {
            "port": f.port,
            "end_port": f.end_port,
            "protocol": f.protocol,
            "icmp_type": f.icmp_type or None,
            "comment": f.comment,
            "line": f.line,
        }
    if finding.missing:
        out["ports"] = [list(s) for s in finding.missing]
    return out


def to_dict(check: RuleCheck) -> dict[str, Any]:
    return {
        "product": check.product,
        "release": check.release,
        "source": check.source,
        "agree": not check,
        "roles": [
            {
                "id": r.role,
                "title": r.title,
                "spec_rules": r.spec_rules,
                "firewall_rules": r.firewall_rules,
                "findings": [finding_to_dict(f) for f in r.findings],
            }
            for r in check.roles
        ],
        "skipped": [{"line": s.line, "reason": s.reason, "text": s.text} for s in check.skipped],
    }


def format_json(check: RuleCheck) -> str:
    return json.dumps(to_dict(check), indent=2, ensure_ascii=False) + "\n"


FORMATTERS: dict[str, Callable[[RuleCheck], str]] = {"text": format_text, "json": format_json}


def format_check(check: RuleCheck, fmt: str = "text") -> str:
    return FORMATTERS[fmt](check)
