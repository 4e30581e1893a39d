"""Port tables to roles: which tables are one role, and the id and title of each.

A table is filed under the role its title names (``Worker nodes`` -> ``worker``), and
tables filed under the same role are one role, in page order, as long as they stand in
the same section of the page. Its section is the heading path down to the heading that
titled it, and any tab it sits in; for a table titled by its own caption, the whole
heading path. So sub-sections of a role's heading ("### Inbound", "### Metrics" under
"## Control plane") stay one role, while the same caption under two headings, the same
heading under two parents, or the same title in two tabs are separate roles, titled by
the heading path that tells them apart (``RKE2 / Server nodes``, id
``control-plane-rke2``; see :func:`path_role_id`).

Direction is no part of a role: words such as "Inbound rules" are taken out of titles
and headings before tables get here (see :mod:`~konvoy_portspec.extraction.build`), so
the inbound and the outbound table of a section are one role, and each rule keeps its
own direction.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from konvoy_portspec.extraction.text import slug, word_set
from konvoy_portspec.extraction.titles import known_role, role_id_for
from konvoy_portspec.model import Role, Rule


@dataclass(slots=True)
class Piece:
    """The rules of one table (or one section of a table) and where they stand: ``key``
    is the section (see the module docstring)."""

    title: str
    key: tuple[str, ...]
    rules: list[Rule]


#: Words an id built from a heading path leaves out: they tell no two sections apart.
_ID_FILLER = word_set(
    "a an the and or of for on in to with at by from ports port rules rule nodes node hosts host"
)
#: Words the role id already says.
_ROLE_WORDS = word_set(
    "control plane controlplane master masters server servers manager controller "
    "controllers worker workers agent agents minion minions compute"
)


def _id_words(text: str, role: bool) -> list[str]:
    return [
        w
        for w in slug(text).split("-")
        if w and w not in _ID_FILLER and not (role and w in _ROLE_WORDS)
    ]


def path_role_id(parts: list[str], title: str) -> str:
    """The id of a role titled by a heading path: the role the title (else the path)
    names, then the words of the path that tell it apart (``RKE2 / Server nodes`` ->
    ``control-plane-rke2``)."""
    named = [role for role in map(known_role, [title, *parts]) if role is not None]
    if not named:
        words = [w for part in parts for w in _id_words(part, False)]
        return "-".join(dict.fromkeys(words)) or slug(" ".join(parts)) or "ports"
    role = named[0]
    words = [w for part in parts for w in _id_words(part, True)]
    return "-".join(dict.fromkeys([*role.split("-"), *words]))


def _names_role(text: str) -> bool:
    return known_role(text) is not None


def _words(text: str) -> set[str]:
    return set(slug(text).split("-"))


def _suffix_counts(keys: list[tuple[str, ...]]) -> list[Counter[tuple[str, ...]]]:
    """For each length n, how many of ``keys`` end in each n parts."""
    longest = max((len(k) for k in keys), default=0)
    return [Counter(k[-n:] for k in keys) for n in range(longest + 1)]


def _path_title(
    key: tuple[str, ...], counts: list[Counter[tuple[str, ...]]], title: str
) -> list[str]:
    """The title parts of the section ``key`` among the sections of its role (``counts``:
    see :func:`_suffix_counts`): the shortest end of its heading path no other section
    shares, with the title and, when none of those names a role, the nearest heading
    that does."""
    n = 1
    while n < len(key) and counts[n][key[-n:]] > 1:
        n += 1
    chosen = set(range(max(len(key) - n, 0), len(key))) | {
        i for i, part in enumerate(key) if part == title
    }
    if not any(_names_role(key[i]) for i in chosen) and not _names_role(title):
        named = [i for i in range(len(key)) if _names_role(key[i])]
        if named:
            chosen.add(named[-1])
    parts = [key[i] for i in sorted(chosen)]
    if title and not any(_words(title) <= _words(part) for part in parts):
        parts.append(title)
    out: list[str] = []
    for part in parts:
        if part and (not out or out[-1] != part):
            out.append(part)
    return out


#: A role's place: (base id, section key when its role has several).
Slot = tuple[str, tuple[str, ...] | None]


def _slots(pieces: list[Piece]) -> tuple[list[Slot], dict[Slot, tuple[str, str]]]:
    """Each piece's slot, and each slot's id (before de-duplication) and title."""
    by_base: dict[str, list[int]] = {}
    for n, piece in enumerate(pieces):
        by_base.setdefault(role_id_for(piece.title), []).append(n)
    slots: list[Slot] = [("", None)] * len(pieces)
    names: dict[Slot, tuple[str, str]] = {}
    for base, group in by_base.items():
        sections: dict[tuple[str, ...], list[int]] = {}
        for n in group:
            sections.setdefault(pieces[n].key, []).append(n)
        keys = list(sections)
        counts = _suffix_counts(keys) if len(keys) > 1 else []
        for key, section in sections.items():
            first = pieces[section[0]]
            slot: Slot = (base, key if len(keys) > 1 else None)
            if len(keys) > 1:
                parts = _path_title(key, counts, first.title)
                role_id = path_role_id(parts, first.title)
                names[slot] = (role_id, " / ".join(parts) or role_id)
            else:
                names[slot] = (base, first.title or base)
            for n in section:
                slots[n] = slot
    return slots, names


def assemble(pieces: list[Piece]) -> list[Role]:
    """The roles of a page in order of their first table (see the module docstring);
    ids are unique (a clash gets ``-2``, ``-3`` ...)."""
    slots, names = _slots(pieces)
    order: list[Slot] = []
    rules: dict[Slot, list[Rule]] = {}
    for piece, slot in zip(pieces, slots, strict=True):
        if slot not in rules:
            order.append(slot)
            rules[slot] = []
        rules[slot].extend(piece.rules)
    roles: list[Role] = []
    taken: set[str] = set()
    tried: dict[str, int] = {}  # id -> the last suffix tried for it
    for slot in order:
        role_id, title = names[slot]
        unique = role_id
        while unique in taken:
            tried[role_id] = tried.get(role_id, 1) + 1
            unique = f"{role_id}-{tried[role_id]}"
        taken.add(unique)
        roles.append(Role(unique, title, tuple(rules[slot])))
    return roles
