"""A :class:`~konvoy_portspec.analysis.preflight.PreflightResult` as text for the person
about to install, or as JSON for a provisioning tool. Rules are written as the spec's
JSON writes them, so a port is a number (or null) there as everywhere else."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from konvoy_portspec.analysis.preflight import Owner, PortStatus, PreflightResult
from konvoy_portspec.io.spec_json import rule_to_dict


def owner_text(owner: Owner) -> str:
    """``sshd (pid 812) on 0.0.0.0``, or ``unknown process on ...`` where we cannot see."""
    who = f"{owner.process or '?'} (pid {owner.pid})" if owner.pid else "unknown process"
    return f"{who} on {owner.address}"


def _status_line(status: PortStatus) -> str:
    rule = status.rules[0][1]
    what = ", ".join(status.components) or "unnamed"
    if rule.is_range:
        what += f" (range {rule.port_text})"
    who = "; ".join(owner_text(o) for o in status.owners) or status.reason
    return f"{status.port}/{status.protocol}  {what} [{', '.join(status.roles)}]: {who}"


def format_text(result: PreflightResult) -> str:
    head = (
        f"preflight {result.product} {result.release} on {result.host} "
        f"({', '.join(result.roles)}): {result.checked} ports checked, "
        f"{len(result.busy)} in use"
    )
    out = [head]
    out += [f"  BUSY  {_status_line(s)}" for s in result.busy]
    out += [f"  ok    {_status_line(s)} (expected: ssh)" for s in result.expected]
    if result.unchecked:
        names = ", ".join(
            sorted({f"{r.protocol} {r.port_text}".strip() for _, r in result.unchecked})
        )
        out.append(f"  (not checked, no TCP/UDP port: {names})")
    if not result.busy:
        out.append("All ports are free.")
    return "\n".join(out) + "\n"


def status_to_dict(status: PortStatus) -> dict[str, Any]:
    return {
        "port": status.port,
        "protocol": status.protocol,
        "roles": status.roles,
        "components": status.components,
        "rules": [{"role": role, **rule_to_dict(rule)} for role, rule in status.rules],
        "owners": [
            {"pid": o.pid, "process": o.process, "address": o.address, "state": o.state}
            for o in status.owners
        ],
        "reason": status.reason,
    }


def to_dict(result: PreflightResult) -> dict[str, Any]:
    return {
        "product": result.product,
        "release": result.release,
        "host": result.host,
        "roles": list(result.roles),
        "checked": result.checked,
        "ok": not result,
        "busy": [status_to_dict(s) for s in result.busy],
        "expected": [status_to_dict(s) for s in result.expected],
        "unchecked": [{"role": role, **rule_to_dict(rule)} for role, rule in result.unchecked],
    }


def format_json(result: PreflightResult) -> str:
    return json.dumps(to_dict(result), indent=2, ensure_ascii=False) + "\n"


FORMATTERS: dict[str, Callable[[PreflightResult], str]] = {
    "text": format_text,
    "json": format_json,
}
