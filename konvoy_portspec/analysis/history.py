"""The history of every rule across a series of specs (``portspec log``).

The history is nothing but the diffs of consecutive releases, plus one "present" entry
for each rule of the first release, so it agrees with ``portspec diff`` by construction.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from konvoy_portspec.analysis.diff import MOVED, Change, diff
from konvoy_portspec.model import Rule, Spec

# typing costs the CLI ~4 ms to import; annotations are strings here anyway.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: The kind of a history entry for a rule of the first release (the others: diff kinds).
PRESENT = "present"


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One event in a rule's life: ``release`` is where it happened (or, for
    ``present``, the first release of the series)."""

    release: str
    kind: str
    role: str
    before: Rule | None
    after: Rule | None
    detail: str = ""

    @classmethod
    def of(cls, release: str, change: Change) -> LogEntry:
        return cls(release, change.kind, change.role, change.before, change.after, change.detail)

    @property
    def rule(self) -> Rule:
        rule = self.after if self.after is not None else self.before
        assert rule is not None, "an entry has a before or an after"
        return rule

    def rules(self) -> tuple[Rule, ...]:
        return tuple(r for r in (self.before, self.after) if r is not None)

    def matches(
        self, *, port: int | None = None, component: str | None = None, role: str | None = None
    ) -> bool:
        """Whether the entry concerns ``port`` (ranges included), a component whose name
        contains ``component`` (case-insensitively) and ``role``, on either side."""
        if role is not None and self.role != role:
            return False
        if port is not None and not any(r.covers(port) for r in self.rules()):
            return False
        if component is not None:
            wanted = component.casefold()
            if not any(wanted in r.component.casefold() for r in self.rules()):
                return False
        return True

    def event(self) -> str:
        """``added in v2.1``, ``present since v1.5``, ``moved in v1.6 (port 10251 -> 10259)``."""
        text = f"present since {self.release}" if self.kind == PRESENT else f"{self.kind} in"
        if self.kind != PRESENT:
            text += f" {self.release}"
        return f"{text} ({self.detail})" if self.detail else text

    def __str__(self) -> str:
        rule = self.rule
        where = rule.where
        if self.kind == MOVED and self.before is not None:
            where = f"{self.before.port_text}->{where}"
        name = f"{where} {self.role} {rule.component}".rstrip()
        return f"{name}: {self.event()}"

    def to_dict(self) -> dict[str, Any]:
        from konvoy_portspec.io.spec_json import rule_event_dict

        event = rule_event_dict(
            self.kind, self.role, self.rule, self.before, self.after, self.detail
        )
        return {"release": self.release, **event}


def history(specs: Sequence[Spec]) -> list[LogEntry]:
    """Entries oldest first: the first spec's rules as ``present``, then each
    consecutive diff's changes under the newer release."""
    if not specs:
        return []
    first = specs[0]
    entries = [
        LogEntry(first.release, PRESENT, role_id, None, rule) for role_id, rule in first.rules()
    ]
    for old, new in pairwise(specs):
        entries += [LogEntry.of(new.release, change) for change in diff(old, new).changes]
    return entries


def bundled_history(releases: Iterable[str] | None = None) -> list[LogEntry]:
    """The history across the bundled releases (all of them by default), oldest first."""
    from konvoy_portspec.io import bundled

    names = list(releases) if releases is not None else bundled.releases()
    return history([bundled.load(name) for name in names])


def filter_entries(
    entries: Iterable[LogEntry],
    *,
    port: int | None = None,
    component: str | None = None,
    role: str | None = None,
    releases: Collection[str] | None = None,
) -> list[LogEntry]:
    """The entries that match (see :meth:`LogEntry.matches`) and, with ``releases``,
    happened in one of those releases."""
    return [
        e
        for e in entries
        if e.matches(port=port, component=component, role=role)
        and (releases is None or e.release in releases)
    ]


def releases_after(series: Sequence[str], release: str) -> list[str]:
    """The releases of ``series`` (oldest first) newer than ``release``: where the
    changes ``since`` it happened (``log --since v2.0``: v2.1, v2.2, ...)."""
    return list(series[series.index(release) + 1 :])
