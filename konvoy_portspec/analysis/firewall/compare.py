"""Do the firewall rules open what the spec lists, and nothing else?

Compares, per node role, the port ranges a :class:`RuleSet` opens with the spec's
inbound rules (an ``outbound`` rule is a connection the node makes: no input rule
opens it), on port coverage rather than rule identity: one ``--dport 30000:32767`` rule
covers a spec row per NodePort, a multiport rule covers several rows, and a rule that
opens ``30000:32800`` is reported for the 33 ports the spec does not list. Port-less
protocols (ICMP, IP-in-IP) are compared by protocol.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from konvoy_portspec.analysis.firewall.ruleset import ANY, FirewallRule, RuleSet, Skipped
from konvoy_portspec.model import MAX_PORT, MIN_PORT, Rule, Source, Spec
from konvoy_portspec.protocols import PORT_PROTOCOLS

NOT_OPENED = "not-opened"  # the spec lists it, the rules do not open it (or only part)
NOT_IN_SPEC = "not-in-spec"  # the rules open it, the spec does not list it (or only part)
UNKNOWN_ROLE = "unknown-role"  # the rules name a role the spec does not have

Span = tuple[int, int]


# --- port ranges ---------------------------------------------------------------------


def merge_spans(spans: Iterable[Span]) -> list[Span]:
    """Port ranges sorted, with overlapping and adjacent ones joined."""
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def opened(rules: Sequence[FirewallRule], protocol: str) -> list[Span]:
    """Merged port ranges the rules open for ``protocol`` (``-p all`` opens everything)."""
    if any(r.protocol == ANY for r in rules):
        return [(MIN_PORT, MAX_PORT)]
    return merge_spans(
        (r.port, r.end_port)
        for r in rules
        if r.port is not None and r.end_port is not None and r.protocol == protocol
    )


def subtract(span: Span, covered: Sequence[Span]) -> list[Span]:
    """The parts of ``span`` outside the sorted, merged ``covered`` ranges."""
    start, end = span
    left: list[Span] = []
    for low, high in covered:
        if high < start:
            continue
        if low > end:
            break
        if low > start:
            left.append((start, low - 1))
        start = max(start, high + 1)
        if start > end:
            return left
    left.append((start, end))
    return left


# --- results -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Finding:
    """One difference: a spec rule the rules do not open (``spec_rule`` set) or a
    firewall rule that opens what the spec does not list (``firewall_rule`` set).
    ``missing`` holds the port ranges concerned when only part of a range differs."""

    kind: str
    role: str
    spec_rule: Rule | None = None
    firewall_rule: FirewallRule | None = None
    missing: tuple[Span, ...] = ()

    @property
    def partial(self) -> bool:
        rule = self.spec_rule or self.firewall_rule
        if rule is None or rule.port is None or not self.missing:
            return False
        return self.missing != ((rule.port, rule.end_port),)


@dataclass(frozen=True, slots=True)
class RoleCheck:
    """The comparison for one role."""

    role: str
    title: str
    spec_rules: int
    firewall_rules: int
    findings: tuple[Finding, ...]


@dataclass(frozen=True, slots=True)
class RuleCheck:
    """The whole comparison: per-role results, plus what the parser skipped. ``path``
    names the rules input, ``source`` adds the sha256 of its bytes when it was read
    from a file (or stdin); ``input_format`` is how it was read."""

    product: str
    release: str
    path: str | None
    roles: tuple[RoleCheck, ...]
    skipped: tuple[Skipped, ...] = ()
    source: Source | None = None
    input_format: str = "iptables"

    def __bool__(self) -> bool:
        """True when the rules and the spec differ."""
        return any(r.findings for r in self.roles)

    @property
    def findings(self) -> list[Finding]:
        return [f for r in self.roles for f in r.findings]


# --- the comparison ------------------------------------------------------------------


def check_role(
    spec_rules: Sequence[Rule], rules: Sequence[FirewallRule], role: str
) -> list[Finding]:
    """Findings for one role: spec rules first (spec order), then extra firewall rules."""
    findings: list[Finding] = []
    opens_all = any(r.protocol == ANY for r in rules)
    fw_portless = {r.protocol for r in rules if r.port is None}
    fw_opened = {proto: opened(rules, proto) for proto in PORT_PROTOCOLS}
    for rule in spec_rules:
        if rule.port is not None and rule.end_port is not None and rule.protocol in PORT_PROTOCOLS:
            left = subtract((rule.port, rule.end_port), fw_opened[rule.protocol])
            if left:
                findings.append(Finding(NOT_OPENED, role, spec_rule=rule, missing=tuple(left)))
        elif not opens_all and rule.protocol not in fw_portless:
            findings.append(Finding(NOT_OPENED, role, spec_rule=rule))
    listed: dict[str, list[Span]] = {}
    for rule in spec_rules:
        if rule.port is not None and rule.end_port is not None:
            listed.setdefault(rule.protocol, []).append((rule.port, rule.end_port))
    merged = {proto: merge_spans(spans) for proto, spans in listed.items()}
    spec_portless = {r.protocol for r in spec_rules if r.port is None}
    for fw in rules:
        if fw.port is not None and fw.end_port is not None:
            left = subtract((fw.port, fw.end_port), merged.get(fw.protocol, []))
            if left:
                findings.append(Finding(NOT_IN_SPEC, role, firewall_rule=fw, missing=tuple(left)))
        elif fw.protocol not in spec_portless:
            findings.append(Finding(NOT_IN_SPEC, role, firewall_rule=fw))
    return findings


def check_rules(spec: Spec, ruleset: RuleSet, roles: Sequence[str] | None = None) -> RuleCheck:
    """Compare ``ruleset`` with ``spec``.

    Roles checked: ``roles`` if given; else the roles the rules name (their comments,
    ``# role:`` headers, page captions, or chains named after a role of the spec); else
    (rules without roles) every role of the spec. Rules without a role count for
    every role checked.
    """
    ruleset = ruleset.resolve(spec.roles)
    if roles:
        wanted = list(spec.select(roles).roles)
    elif ruleset.roles:
        wanted = list(ruleset.roles)
    else:
        wanted = list(spec.roles)
    results = []
    for role_id in wanted:
        rules = ruleset.for_role(role_id)
        if role_id not in spec.roles:
            results.append(
                RoleCheck(role_id, role_id, 0, len(rules), (Finding(UNKNOWN_ROLE, role_id),))
            )
            continue
        role = spec.roles[role_id]
        inbound = [r for r in role.rules if r.inbound]  # outbound rules open no node port
        findings = tuple(check_role(inbound, rules, role_id))
        results.append(RoleCheck(role_id, role.title, len(inbound), len(rules), findings))
    return RuleCheck(
        spec.product,
        spec.release,
        ruleset.path,
        tuple(results),
        ruleset.skipped,
        ruleset.source,
        ruleset.input_format,
    )
