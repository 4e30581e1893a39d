"""A :class:`~konvoy_portspec.analysis.diff.SpecDiff` as text for people, changelogs, programs and
firewalls.

Each view is a small class behind the ``FORMATTERS`` name table, so the CLI's
``--format`` choices and help, the docs and the tests all read from one place. Text
from the specs (release, product, role titles, components, notes) is escaped for each
view's target: the terminal, markdown, ``#`` comments. Only the project's own light
modules are imported here: the CLI imports this table when it starts.
"""

from __future__ import annotations

from konvoy_portspec.analysis.diff import (
    ADDED,
    CHANGED,
    KINDS,
    MOVED,
    REMOVED,
    Change,
    SpecDiff,
    field_changes,
)
from konvoy_portspec.io.json_text import dumps
from konvoy_portspec.io.spec_json import rule_event_dict, source_to_dict
from konvoy_portspec.model import Rule, Spec
from konvoy_portspec.output.escape import line_comment, markdown_cell, terminal_text
from konvoy_portspec.output.formatter import OutputFormat, pick, registry
from konvoy_portspec.output.tables import cell_value

# typing costs the CLI ~4 ms to import; annotations are strings here anyway.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: One-character markers of the text view, per kind.
MARKERS = {ADDED: "+", REMOVED: "-", CHANGED: "~", MOVED: ">"}

_COLORS = {ADDED: "32", REMOVED: "31", CHANGED: "33", MOVED: "36"}  # green red yellow cyan
_BOLD = "1"


def _paint(text: str, code: str, color: bool) -> str:
    return f"\033[{code}m{text}\033[0m" if color else text


def _side(spec: Spec) -> str:
    return f"{spec.product} {spec.release}"


def summary(d: SpecDiff) -> str:
    """``5 added, 0 removed, 0 changed, 0 moved``."""
    counts = d.counts()
    return ", ".join(f"{counts[kind]} {kind}" for kind in KINDS)


def _title(d: SpecDiff) -> str:
    """``konvoy v1.8 -> v2.1``; two revisions of one release are told apart by file."""
    old, new = d.old, d.new
    if old.product != new.product:
        return f"{_side(old)} -> {_side(new)}"
    files = (old.source.file if old.source else None, new.source.file if new.source else None)
    if old.release == new.release and None not in files and files[0] != files[1]:
        return f"{old.product} {old.release}: {files[0]} -> {files[1]}"
    return f"{old.product} {old.release} -> {new.release}"


class Formatter(OutputFormat):
    """One view of a diff. Subclasses set ``name`` and implement :meth:`format`."""

    def format(self, d: SpecDiff, *, color: bool = False) -> str:
        raise NotImplementedError


class TextFormatter(Formatter):
    """Grouped by role, one marked line per change, then the counts."""

    name = "text"
    description = "grouped by role, one line per change (+ added, - removed, ~ changed, > moved)"

    def format(self, d: SpecDiff, *, color: bool = False) -> str:
        title = terminal_text(_title(d))
        if not d:
            return f"{title}: no changes\n"
        out = [_paint(title, _BOLD, color)]
        for role_id, changes in d.by_role().items():
            out.append("")
            heading = terminal_text(f"{d.role_title(role_id)} ({role_id})")
            out.append(_paint(heading, _BOLD, color))
            wheres = [terminal_text(self._where(c)) for c in changes]
            width = max(len(w) for w in wheres)
            for change, where in zip(changes, wheres, strict=True):
                line = f"  {MARKERS[change.kind]} {where.ljust(width)}"
                line += f"  {terminal_text(change.component)}" if change.component else ""
                detail = terminal_text(self._detail(change))
                if detail:
                    line += f"  ({detail})"
                out.append(_paint(line.rstrip(), _COLORS[change.kind], color))
        out.append("")
        out.append(summary(d))
        return "\n".join(out) + "\n"

    @staticmethod
    def _detail(change: Change) -> str:
        if change.kind == MOVED and change.before is not None and change.after is not None:
            return "; ".join(field_changes(change.before, change.after))  # the ports are shown
        return change.detail

    @staticmethod
    def _where(change: Change) -> str:
        where = change.rule.where
        if change.kind == MOVED and change.before is not None:
            where = f"{change.before.port_text} -> {where}"
        # inbound is the default and goes unsaid; an outbound rule says so
        return where if change.rule.inbound else f"{where} outbound"


class MarkdownFormatter(Formatter):
    """Release-notes tables, one per role, ready to paste into a changelog."""

    name = "markdown"
    description = "release-notes tables per role (port, protocol, component, notes, change)"

    def format(self, d: SpecDiff, *, color: bool = False) -> str:
        title = _title(d).replace(" -> ", " → ")
        out = [f"## Port changes: {markdown_cell(title)}", ""]
        if not d:
            out.append("No port changes.")
            return "\n".join(out) + "\n"
        out += [summary(d) + ".", ""]
        for role_id, changes in d.by_role().items():
            out.append(f"### {markdown_cell(d.role_title(role_id))}")
            out.append("")
            out.append("| Port | Protocol | Component | Notes | Change |")
            out.append("|---|---|---|---|---|")
            for change in changes:
                rule = change.rule
                protocol = cell_value(rule, "protocol")
                cells = [
                    cell_value(rule, "port"),
                    protocol if rule.inbound else f"{protocol} (outbound)",
                    rule.component,
                    rule.notes,
                    self._change_cell(change),
                ]
                cells = [markdown_cell(c.replace(" -> ", " → ")) for c in cells]
                out.append("| " + " | ".join(cells) + " |")
            out.append("")
        return "\n".join(out)

    @staticmethod
    def _change_cell(change: Change) -> str:
        if change.kind == MOVED and change.before is not None and change.after is not None:
            more = "; ".join(field_changes(change.before, change.after))
            return f"moved from {change.before.port_text}" + (f"; {more}" if more else "")
        if change.kind == CHANGED:
            return f"changed: {change.detail}" if change.detail else "changed"
        return change.kind


def _side_dict(spec: Spec) -> dict[str, Any]:
    out: dict[str, Any] = {"product": spec.product, "release": spec.release}
    if spec.source is not None:
        out["source"] = source_to_dict(spec.source)
    return out


def change_to_dict(change: Change) -> dict[str, Any]:
    """One change as JSON data (see ``spec/diff.schema.json``)."""
    return rule_event_dict(
        change.kind, change.role, change.rule, change.before, change.after, change.detail
    )


def diff_to_dict(d: SpecDiff) -> dict[str, Any]:
    """The JSON output: both sides, the counts and every change (``spec/diff.schema.json``)."""
    return {
        "old": _side_dict(d.old),
        "new": _side_dict(d.new),
        "summary": d.counts(),
        "changes": [change_to_dict(c) for c in d.changes],
    }


class JsonFormatter(Formatter):
    name = "json"
    description = 'machine-readable: {"old", "new", "summary", "changes"} (spec/diff.schema.json)'

    def format(self, d: SpecDiff, *, color: bool = False) -> str:
        # document > sides, summary, changes: one change per line
        return dumps(diff_to_dict(d), depth=2) + "\n"


def firewall_work(changes: list[Change]) -> tuple[list[Rule], list[Rule]]:
    """The rules to open and the rules to close for a role's changes.

    A changed range or a moved port is "open the new, close the old"; a change of notes
    alone needs no firewall work. A component rename re-creates the rule, since the
    comment that ``iptables -D`` matches on names the component.
    """
    opens: list[Rule] = []
    closes: list[Rule] = []
    for change in changes:
        if change.kind == ADDED:
            opens.append(change.rule)
        elif change.kind == REMOVED:
            closes.append(change.rule)
        else:
            before, after = change.before, change.after
            assert before is not None and after is not None
            if before.key != after.key or before.component != after.component:
                opens.append(after)
                closes.append(before)
    # Outbound rules are connections a node makes, never a port its firewall opens
    # (the exports skip them too): nothing to open or close for them.
    return [r for r in opens if r.inbound], [r for r in closes if r.inbound]


class FirewallFormatter(Formatter):
    """The operator's view: per role, what to open first, then what to close."""

    name = "firewall"
    description = "iptables commands per role: ports to open first, then ports to close"

    def format(self, d: SpecDiff, *, color: bool = False) -> str:
        # Here, not at the top: the exporters (and csv) stay off the other views' start.
        from konvoy_portspec.output.exporters.iptables import iptables_commands

        out = [line_comment(f"# {_title(d)}: firewall changes (iptables)")]
        work = [(role_id, *firewall_work(ch)) for role_id, ch in d.by_role().items()]
        work = [(role_id, opens, closes) for role_id, opens, closes in work if opens or closes]
        if not work:
            out.append("# no firewall changes")
            return "\n".join(out) + "\n"
        out.append("# Open the new ports first (a missing open port breaks a locked-down")
        out.append("# cluster), then close the ports the new release no longer uses. The")
        out.append("# rules go in each role's chain (KONVOY-<ROLE>) that `portspec export")
        out.append("# --format iptables` installs, for IPv4 and IPv6.")
        for role_id, opens, closes in work:
            out.append("")
            out.append(line_comment(f"# {d.role_title(role_id)} ({role_id})"))
            if opens:
                out.append(f"# open ({len(opens)})")
                out += [c for rule in opens for c in iptables_commands(role_id, rule, "-A")]
            if closes:
                out.append(f"# close ({len(closes)})")
                out += [c for rule in closes for c in iptables_commands(role_id, rule, "-D")]
        return "\n".join(out) + "\n"


FORMATTERS: dict[str, type[Formatter]] = registry(
    TextFormatter, MarkdownFormatter, JsonFormatter, FirewallFormatter
)


def format_diff(d: SpecDiff, fmt: str = "text", *, color: bool = False) -> str:
    """``d`` in one of the ``FORMATTERS`` views (``ValueError`` for an unknown name)."""
    return pick(FORMATTERS, fmt, "diff")().format(d, color=color)
