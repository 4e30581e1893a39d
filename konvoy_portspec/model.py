"""The port spec as plain, immutable values: no I/O, no parsing, no rendering.

Everything else in the project (extractor, storage, diff, validator, renderers, CLI,
Sphinx extension) speaks in these types, so they are kept small and hashable: specs can
be compared with ``==``, cached, and used as dict keys or set members.

Why not ``@dataclass(frozen=True)``: these classes sit on the CLI's start path, and
importing :mod:`dataclasses` (it pulls in :mod:`inspect`, :mod:`ast`, :mod:`dis`) plus
generating the classes costs about as much as starting the interpreter itself. The
tiny :class:`Value` base gives the same frozen-value behaviour (slots, ``==``, hash,
repr, :meth:`Value.replace`) for a fraction of that; everything off the start path uses
dataclasses as usual.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from konvoy_portspec.errors import UnknownRoleError
from konvoy_portspec.protocols import PORT_PROTOCOLS as PORT_PROTOCOLS  # the model's word

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Self


class Value:
    """Immutable value object: fields are the ``__slots__``, in order."""

    __slots__: tuple[str, ...] = ()

    def _fields(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; use .replace()")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return self._fields() == other._fields()
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.__class__.__name__, self._fields()))

    def __repr__(self) -> str:
        inner = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__slots__)
        return f"{type(self).__name__}({inner})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), self._fields())

    def replace(self, **changes: Any) -> Self:
        """A copy with some fields changed (like :func:`dataclasses.replace`)."""
        values = {name: getattr(self, name) for name in self.__slots__}
        unknown = set(changes) - set(values)
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field(s) {', '.join(sorted(unknown))}")
        values.update(changes)
        return type(self)(**values)


_set = object.__setattr__


def _init(obj: object, **fields: object) -> None:
    for name, value in fields.items():
        object.__setattr__(obj, name, value)


#: The spec file format this code writes. Version 2 added a rule's ``direction``;
#: version 1 files (every rule inbound) are still read.
SCHEMA_VERSION = 2
SCHEMA_VERSIONS = (1, 2)

#: Which way a rule's traffic goes, seen from the node of the role: ``inbound`` rules
#: are ports the node listens on (what a firewall opens); ``outbound`` ones are
#: connections it makes. Pages keep them in separate tables; so does the spec.
INBOUND, OUTBOUND = "inbound", "outbound"
DIRECTIONS = (INBOUND, OUTBOUND)

#: The range of port numbers: 0 is no port a service can be reached on.
MIN_PORT, MAX_PORT = 1, 65535


class Rule(Value):
    """One row of a ports table: a port or port range, its protocol and who listens.

    ``port``/``end_port`` are ``None`` for rows that open no port number (ICMP,
    IP-in-IP, "N/A"): they are kept rather than dropped or invented. ``extra`` keeps
    columns the model does not know (direction, source, ...) as sorted key/value pairs.
    """

    __slots__ = (  # noqa: RUF023 - the constructor's order
        "port",
        "end_port",
        "protocol",
        "component",
        "notes",
        "extra",
        "direction",
    )
    port: int | None
    end_port: int | None
    protocol: str
    component: str
    notes: str
    extra: tuple[tuple[str, str], ...]
    direction: str

    def __init__(
        self,
        port: int | None,
        end_port: int | None,
        protocol: str = "tcp",
        component: str = "",
        notes: str = "",
        extra: tuple[tuple[str, str], ...] = (),
        direction: str = INBOUND,
    ) -> None:
        # Unrolled on purpose: loading a 100,000-rule spec builds 100,000 of these.
        _set(self, "port", port)
        _set(self, "end_port", end_port)
        _set(self, "protocol", protocol)
        _set(self, "component", component)
        _set(self, "notes", notes)
        _set(self, "extra", extra)
        _set(self, "direction", direction)

    def _order(self) -> tuple[str, str, int, int, str, str, tuple[tuple[str, str], ...]]:
        return (
            self.direction,
            self.protocol,
            self.port or 0,
            self.end_port or 0,
            self.component,
            self.notes,
            self.extra,
        )

    def __lt__(self, other: Rule) -> bool:
        return self._order() < other._order()

    def __le__(self, other: Rule) -> bool:
        return self._order() <= other._order()

    def __gt__(self, other: Rule) -> bool:
        return self._order() > other._order()

    def __ge__(self, other: Rule) -> bool:
        return self._order() >= other._order()

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
    def key(self) -> tuple[str, int, int, str]:
        """Identity of a rule within a role: what the diff matches on (an inbound and an
        outbound rule on the same port are two rules, never one)."""
        return (self.protocol, self.port or 0, self.end_port or 0, self.direction)

    @property
    def inbound(self) -> bool:
        """A port the node listens on: what a firewall export opens."""
        return self.direction == INBOUND

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
        if self.direction != other.direction:
            return False
        assert self.end_port is not None and other.end_port is not None
        return self.port <= other.end_port and other.port <= self.end_port

    @property
    def where(self) -> str:
        """``1338/tcp``, ``30000-32767/tcp``, or just the protocol for a port-less rule."""
        return f"{self.port_text}/{self.protocol}" if self.port is not None else self.protocol

    def __str__(self) -> str:
        return f"{self.where} {self.component}".rstrip()


class Role(Value):
    """The rules of one node role ("Control-plane nodes", "Worker nodes"), in page order.

    A role iterates over its rules, so ``spec.roles["worker"]`` reads as "the worker
    rules" while still carrying the heading it came from.
    """

    __slots__ = ("id", "title", "rules")  # noqa: RUF023
    id: str
    title: str
    rules: tuple[Rule, ...]

    def __init__(self, id: str, title: str, rules: Iterable[Rule] = ()) -> None:
        _init(self, id=id, title=title, rules=tuple(rules))

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


class Source(Value):
    """Where a spec came from: enough to tell whether the page has changed since."""

    __slots__ = ("file", "sha256")
    file: str
    sha256: str

    def __init__(self, file: str, sha256: str) -> None:
        _init(self, file=file, sha256=sha256)


class Spec(Value):
    """The ports of one product release, per node role."""

    __slots__ = ("release", "roles", "product", "source", "schema_version")  # noqa: RUF023
    release: str
    roles: RoleMap
    product: str
    source: Source | None
    schema_version: int

    def __init__(
        self,
        release: str,
        roles: RoleMap | Iterable[Role] = (),
        product: str = "konvoy",
        source: Source | None = None,
        schema_version: int = SCHEMA_VERSION,
    ) -> None:
        _init(
            self,
            release=release,
            roles=roles if isinstance(roles, RoleMap) else RoleMap(roles),
            product=product,
            source=source,
            schema_version=schema_version,
        )

    def role(self, role_id: str) -> Role:
        """The role with that id; :class:`UnknownRoleError` (a ``KeyError``) names the
        ids there are."""
        try:
            return self.roles[role_id]
        except KeyError:
            raise UnknownRoleError(role_id, list(self.roles), f"in {self.release}") from None

    def select(self, role_ids: Iterable[str]) -> Spec:
        """This spec with only the named roles, in the order named, repeats dropped."""
        return self.with_roles(self.role(r) for r in dict.fromkeys(role_ids))

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
        return self.replace(roles=RoleMap(roles))

    def only_role(self, role_id: str) -> Spec:
        """This spec restricted to one role (:class:`UnknownRoleError` if there is none)."""
        return self.select([role_id])

    def without_source(self) -> Spec:
        return self.replace(source=None)
