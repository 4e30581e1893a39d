"""The result of a diff, shaped like the model it compares: per role, rules added,
removed, changed (same ports, other text, or a resized range) or moved (a component's
port moved), each with its before and after. No diffing happens here (see
:mod:`.diff`); formatters and the Sphinx extension read these values.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from konvoy_portspec.errors import PortSpecError, UnknownRoleError
from konvoy_portspec.model import Rule, Spec, Value

ADDED = "added"
REMOVED = "removed"
CHANGED = "changed"
MOVED = "moved"

KINDS = (ADDED, REMOVED, CHANGED, MOVED)
_KIND_ORDER = {kind: n for n, kind in enumerate(KINDS)}


class DiffApplyError(PortSpecError):
    """A diff does not fit the spec it is applied to (a rule to remove is not there)."""


class Change(Value):
    """One rule-level difference in one role.

    ``before`` is ``None`` for an added rule, ``after`` is ``None`` for a removed one;
    ``changed`` and ``moved`` carry both. ``detail`` says in words what changed, for
    the text and markdown views. A frozen value like the model's classes (and, like
    them, not a dataclass: :mod:`dataclasses` costs the CLI's start-up too much).
    """

    __slots__ = ("kind", "role", "before", "after", "detail")  # noqa: RUF023
    kind: str
    role: str
    before: Rule | None
    after: Rule | None
    detail: str

    def __init__(
        self, kind: str, role: str, before: Rule | None, after: Rule | None, detail: str = ""
    ) -> None:
        for name, value in (
            ("kind", kind),
            ("role", role),
            ("before", before),
            ("after", after),
            ("detail", detail),
        ):
            object.__setattr__(self, name, value)

    @property
    def rule(self) -> Rule:
        """The rule as it is now (or as it was, for a removal)."""
        rule = self.after if self.after is not None else self.before
        assert rule is not None, "a change has a before or an after"
        return rule

    @property
    def port(self) -> int | None:
        return self.rule.port

    @property
    def end_port(self) -> int | None:
        return self.rule.end_port

    @property
    def protocol(self) -> str:
        return self.rule.protocol

    @property
    def component(self) -> str:
        return self.rule.component

    @property
    def notes(self) -> str:
        return self.rule.notes

    def sort_key(self) -> tuple[str, int, int, str, int, str]:
        protocol, port, end_port, direction = self.rule.key
        return (protocol, port, end_port, direction, _KIND_ORDER[self.kind], self.rule.component)

    def __str__(self) -> str:
        if self.kind == MOVED and self.before is not None and self.after is not None:
            where = f"{self.before.port_text} -> {self.after.port_text}/{self.protocol}"
            return f"{self.kind} {self.role} {where} {self.component}".rstrip()
        return f"{self.kind} {self.role} {self.rule}"


def role_ids(old: Spec, new: Spec) -> list[str]:
    """Every role of either spec: the new one's order, then roles only in the old."""
    return list(new.roles) + [r for r in old.roles if r not in new.roles]


def require_roles(wanted: Iterable[str], known: Sequence[str], where: str) -> list[str]:
    """``wanted`` role ids without repeats; :class:`UnknownRoleError` (listing ``known``)
    for the first that is not among ``known``. ``where`` ends its sentence."""
    out = list(dict.fromkeys(wanted))
    for role_id in out:
        if role_id not in known:
            raise UnknownRoleError(role_id, list(known), where)
    return out


class SpecDiff(Value):
    """All changes from ``old`` to ``new``, grouped by role.

    Roles come in the new spec's order, then the roles only the old spec has; within a
    role, changes are sorted by ``(protocol, port, end_port, kind)``.
    """

    __slots__ = ("old", "new", "changes")  # noqa: RUF023
    old: Spec
    new: Spec
    changes: tuple[Change, ...]

    def __init__(self, old: Spec, new: Spec, changes: Iterable[Change] = ()) -> None:
        object.__setattr__(self, "old", old)
        object.__setattr__(self, "new", new)
        object.__setattr__(self, "changes", tuple(changes))

    def __bool__(self) -> bool:
        return bool(self.changes)

    def __len__(self) -> int:
        return len(self.changes)

    def __iter__(self) -> Iterator[Change]:
        return iter(self.changes)

    def counts(self) -> dict[str, int]:
        """Number of changes per kind, every kind present (zeros included)."""
        out = dict.fromkeys(KINDS, 0)
        for change in self.changes:
            out[change.kind] += 1
        return out

    def by_role(self) -> dict[str, list[Change]]:
        """Role id -> its changes, in diff order; roles without changes are left out."""
        out: dict[str, list[Change]] = {}
        for change in self.changes:
            out.setdefault(change.role, []).append(change)
        return out

    def of_kind(self, *kinds: str) -> list[Change]:
        unknown = [k for k in kinds if k not in _KIND_ORDER]
        if unknown:
            raise ValueError(f"unknown change kind(s): {', '.join(unknown)}; kinds: {KINDS}")
        return [c for c in self.changes if c.kind in kinds]

    def role_ids(self) -> list[str]:
        """Every role of either side: the new spec's order, then roles only in the old."""
        return role_ids(self.old, self.new)

    def role_title(self, role_id: str) -> str:
        """The role's heading (the new one if the role still exists)."""
        for spec in (self.new, self.old):
            if role_id in spec.roles:
                return spec.roles[role_id].title
        return role_id

    def only_role(self, role_id: str) -> SpecDiff:
        """This diff restricted to one role (the specs too, where they have it)."""

        def restrict(spec: Spec) -> Spec:
            return spec.with_roles(r for r in spec.roles.ordered if r.id == role_id)

        return SpecDiff(
            restrict(self.old),
            restrict(self.new),
            tuple(c for c in self.changes if c.role == role_id),
        )
