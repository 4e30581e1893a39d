"""The port spec as plain, immutable values: no I/O, no parsing, no rendering.

Everything else in the project (extractor, storage, diff, validator, renderers, CLI,
Sphinx extension) speaks in these types, so they are kept small and hashable: specs can
be compared with ``==``, cached, and used as dict keys or set members.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace

SCHEMA_VERSION = 1

#: Protocols that carry port numbers. Port-less rules (ICMP, IP-in-IP, ...) use others.
PORT_PROTOCOLS = ("tcp", "udp", "sctp")


@dataclass(frozen=True, slots=True, order=True)
class Rule:
    """One row of a ports table: a port or port range, its protocol and who listens.

    ``port``/``end_port`` are ``None`` for rows that open no port number (ICMP,
    IP-in-IP, "N/A"): they are kept rather than dropped or invented. ``extra`` keeps
    columns the model does not know (direction, source, ...) as sorted key/value pairs.
    """

    port: int | None
    end_port: int | None
    protocol: str = "tcp"
    component: str = ""
    notes: str = ""
    extra: tuple[tuple[str, str], ...] = ()

    @classmethod
    def single(cls, port: int, protocol: str = "tcp", component: str = "", notes: str = "") -> Rule:
        return cls(port, port, protocol, component, notes)

    @property
    def is_range(self) -> bool:
        return self.port is not None and self.end_port != self.port

    @property
    def has_port(self) -> bool:
        return self.port is not None

    @property
    def key(self) -> tuple[str, int, int]:
        """Identity of a rule within a role: what the diff matches on."""
        return (self.protocol, self.port or 0, self.end_port or 0)

    @property
    def port_text(self) -> str:
        """``22``, ``30000-32767``, or ``""`` for a port-less rule."""
        if self.port is None:
            return ""
        if self.end_port == self.port:
            return str(self.port)
        return f"{self.port}-{self.end_port}"

    @property
    def extras(self) -> dict[str, str]:
        return dict(self.extra)

    def covers(self, port: int) -> bool:
        return (
            self.port is not None
            and self.end_port is not None
            and (self.port <= port <= self.end_port)
        )

    def overlaps(self, other: Rule) -> bool:
        if self.port is None or other.port is None or self.protocol != other.protocol:
            return False
        assert self.end_port is not None and other.end_port is not None
        return self.port <= other.end_port and other.port <= self.end_port

    def __str__(self) -> str:
        where = f"{self.port_text}/{self.protocol}" if self.port is not None else self.protocol
        return f"{where} {self.component}".rstrip()


@dataclass(frozen=True, slots=True)
class Role:
    """The rules of one node role ("Control-plane nodes", "Worker nodes"), in page order.

    A role iterates over its rules, so ``spec.roles["worker"]`` reads as "the worker
    rules" while still carrying the heading it came from.
    """

    id: str
    title: str
    rules: tuple[Rule, ...] = ()

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def for_port(self, port: int, protocol: str | None = None) -> list[Rule]:
        return [
            r for r in self.rules if r.covers(port) and (protocol is None or r.protocol == protocol)
        ]

    def for_component(self, component: str) -> list[Rule]:
        wanted = component.casefold()
        return [r for r in self.rules if r.component.casefold() == wanted]


class RoleMap(Mapping[str, Role]):
    """An ordered, immutable, hashable mapping of role id to :class:`Role`.

    Order is part of the value (roles are kept in document order), so two maps with the
    same roles in a different order are not equal.
    """

    __slots__ = ("_index", "_roles")

    def __init__(self, roles: Iterable[Role] = ()) -> None:
        self._roles: tuple[Role, ...] = tuple(roles)
        self._index = {role.id: role for role in self._roles}
        if len(self._index) != len(self._roles):
            ids = [r.id for r in self._roles]
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            raise ValueError(f"duplicate role id(s): {', '.join(dupes)}")

    def __getitem__(self, role_id: str) -> Role:
        return self._index[role_id]

    def __iter__(self) -> Iterator[str]:
        return (role.id for role in self._roles)

    def __len__(self) -> int:
        return len(self._roles)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RoleMap):
            return self._roles == other._roles
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._roles)

    def __repr__(self) -> str:
        return f"RoleMap({list(self._roles)!r})"

    @property
    def ordered(self) -> tuple[Role, ...]:
        return self._roles


@dataclass(frozen=True, slots=True)
class Source:
    """Where a spec came from: enough to tell whether the page has changed since."""

    file: str
    sha256: str


@dataclass(frozen=True, slots=True)
class Spec:
    """The ports of one product release, per node role."""

    release: str
    roles: RoleMap = field(default_factory=RoleMap)
    product: str = "konvoy"
    source: Source | None = None
    schema_version: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        if not isinstance(self.roles, RoleMap):
            object.__setattr__(self, "roles", RoleMap(self.roles))

    def role(self, role_id: str) -> Role:
        """The role with that id; ``KeyError`` names the ids there are."""
        try:
            return self.roles[role_id]
        except KeyError:
            known = ", ".join(self.roles) or "none"
            raise KeyError(f"no role {role_id!r} in {self.release}; roles: {known}") from None

    def rules(self) -> Iterator[tuple[str, Rule]]:
        """Every (role id, rule) pair, in document order."""
        for role in self.roles.ordered:
            for rule in role.rules:
                yield role.id, rule

    def for_port(self, port: int, protocol: str | None = None) -> list[tuple[str, Rule]]:
        """Rules that open ``port`` (ranges included), with their role ids."""
        return [
            (rid, r)
            for rid, r in self.rules()
            if r.covers(port) and (protocol is None or r.protocol == protocol)
        ]

    def for_component(self, component: str) -> list[tuple[str, Rule]]:
        """Rules of a component, case-insensitively, with their role ids."""
        wanted = component.casefold()
        return [(rid, r) for rid, r in self.rules() if r.component.casefold() == wanted]

    def components(self) -> list[str]:
        """Component names in first-seen order."""
        seen: dict[str, None] = {}
        for _, rule in self.rules():
            if rule.component:
                seen.setdefault(rule.component, None)
        return list(seen)

    def with_roles(self, roles: Iterable[Role]) -> Spec:
        return replace(self, roles=RoleMap(roles))

    def only_role(self, role_id: str) -> Spec:
        """This spec restricted to one role (``KeyError`` if there is no such role)."""
        return self.with_roles([self.role(role_id)])

    def without_source(self) -> Spec:
        return replace(self, source=None)
