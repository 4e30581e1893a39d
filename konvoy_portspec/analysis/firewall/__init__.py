"""Firewall rules against a spec: which ports iptables rules open, per node role, and
how that differs from what the spec lists.

``iptables_rules`` reads rules files and ``iptables-save`` output; ``rules_page`` reads
the rules out of a docs page (and picks the reader for any input); ``compare`` checks
them against a spec and returns a :class:`RuleCheck`, which
:mod:`konvoy_portspec.output.rulecheck_report` turns into text or JSON.
"""

from __future__ import annotations

from konvoy_portspec.analysis.firewall.compare import (
    NOT_IN_SPEC,
    NOT_OPENED,
    UNKNOWN_ROLE,
    Finding,
    RoleCheck,
    RuleCheck,
    check_role,
    check_rules,
    merge_spans,
    opened,
    subtract,
)
from konvoy_portspec.analysis.firewall.iptables_rules import (
    ANY,
    FirewallRule,
    RulesError,
    RuleSet,
    Skipped,
    parse_ports,
    parse_rule,
    parse_rules_text,
)
from konvoy_portspec.analysis.firewall.rules_page import (
    looks_like_page,
    parse_rules,
    parse_rules_page,
    read_rules_file,
)

__all__ = [
    "ANY",
    "NOT_IN_SPEC",
    "NOT_OPENED",
    "UNKNOWN_ROLE",
    "Finding",
    "FirewallRule",
    "RoleCheck",
    "RuleCheck",
    "RuleSet",
    "RulesError",
    "Skipped",
    "check_role",
    "check_rules",
    "looks_like_page",
    "merge_spans",
    "opened",
    "parse_ports",
    "parse_rule",
    "parse_rules",
    "parse_rules_page",
    "parse_rules_text",
    "read_rules_file",
    "subtract",
]
