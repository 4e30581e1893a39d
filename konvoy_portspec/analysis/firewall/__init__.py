"""Firewall rules against a spec: which ports a host's firewall opens, per node role,
and how that differs from what the spec lists.

Readers, one per tool, all returning a :class:`RuleSet` (``ruleset``):
``iptables_rules`` (rules scripts, ``iptables-save``; one line at a time by
``iptables_line``), ``rules_page`` (iptables rules in a docs page), ``nft_json``
(``nft -j list ruleset``), ``firewalld`` (a service file, ``firewall-cmd --list-all``);
``reader`` tells an input's format and reads it.
``compare`` checks a rule set against a spec and returns a :class:`RuleCheck`, which
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
from konvoy_portspec.analysis.firewall.firewalld import (
    SERVICE_DIRS,
    parse_firewall_cmd,
    parse_service_xml,
)
from konvoy_portspec.analysis.firewall.iptables_line import parse_ports, parse_rule
from konvoy_portspec.analysis.firewall.iptables_rules import parse_rules_text
from konvoy_portspec.analysis.firewall.nft_json import parse_nft_json
from konvoy_portspec.analysis.firewall.reader import detect_format, parse_rules, read_rules_file
from konvoy_portspec.analysis.firewall.rules_page import looks_like_page, parse_rules_page
from konvoy_portspec.analysis.firewall.ruleset import (
    ANY,
    INPUT_FORMATS,
    FirewallRule,
    RulesError,
    RuleSet,
    Skipped,
    role_of_chain,
    role_of_comment,
)

__all__ = [
    "ANY",
    "INPUT_FORMATS",
    "NOT_IN_SPEC",
    "NOT_OPENED",
    "SERVICE_DIRS",
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
    "detect_format",
    "looks_like_page",
    "merge_spans",
    "opened",
    "parse_firewall_cmd",
    "parse_nft_json",
    "parse_ports",
    "parse_rule",
    "parse_rules",
    "parse_rules_page",
    "parse_rules_text",
    "parse_service_xml",
    "read_rules_file",
    "role_of_chain",
    "role_of_comment",
    "subtract",
]
