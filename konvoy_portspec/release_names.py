"""Release names: ``v2.1``, ``2.1`` and ``V2.1`` all mean the same release."""

from __future__ import annotations

import os

from konvoy_portspec.errors import UnknownReleaseError


def normalize(name: str) -> str:
    """Canonical spelling of a release name: a ``v`` prefix, no surrounding space."""
    name = name.strip()
    if name[:1] in ("v", "V") and name[1:2].isdigit():
        return "v" + name[1:]
    if name[:1].isdigit():
        return "v" + name
    return name


def sort_key(name: str) -> tuple[tuple[int, ...], str]:
    """Order releases by version numbers (v1.10 after v1.9), then by name."""
    digits: list[int] = []
    for part in name.lstrip("vV").split("."):
        if part.isdigit():
            digits.append(int(part))
        else:
            break
    return (tuple(digits), name)


def resolve(name: str, known: list[str]) -> str:
    """The release of ``known`` (oldest first) a user means by ``name`` (``2.1``,
    ``v2.1``, ``latest``); :class:`~.errors.UnknownReleaseError` lists them otherwise."""
    if name.strip().lower() == "latest" and known:
        return known[-1]
    canonical = normalize(name)
    if canonical in known:
        return canonical
    raise UnknownReleaseError(name, known)


def looks_like_release(text: str) -> bool:
    """``v2.1``, ``2.1``, ``v2.1.0`` or ``latest``: a name rather than a file path."""
    if text == "latest":
        return True
    body = text[1:] if text[:1] in ("v", "V") else text
    parts = body.split(".")
    return len(parts) >= 2 and all(p.isdigit() for p in parts)


def names_release(arg: str) -> bool:
    """Whether a command-line argument names a bundled release rather than a file
    (``2.1`` is a release unless a file of that name is there)."""
    return looks_like_release(arg) and not os.path.isfile(arg)
