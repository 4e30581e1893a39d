"""Suggestions ("did you mean ...?"): the nearest valid name for a mistyped command,
option, choice, release or role.

The suggestion is computed where the mistake is reported, from the names that were valid
there (a parser's commands and options, an error's ``known`` releases or roles), so it
can never name something that does not exist. ``difflib`` is imported only on these
error paths: it costs a few milliseconds that a correct command line never pays.
"""

from __future__ import annotations

from collections.abc import Iterable

from konvoy_portspec.errors import PortSpecError, UnknownReleaseError, UnknownRoleError
from konvoy_portspec.release_names import normalize

#: How alike (difflib's ratio, 0..1) a valid name must be to be suggested: ``dif`` ->
#: ``diff``, ``wokrer`` -> ``worker`` and ``v2.11`` -> ``v2.1`` pass, ``v3.0`` does not.
CUTOFF = 0.6


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The valid name most like ``word``: None when none is close enough, or when two
    are equally close (``v1.4`` is as near to v1.5 as to v1.8: a guess would mislead)."""
    import difflib

    names = sorted({c for c in choices if c})
    folded = [n for n in names if n.casefold() == word.casefold()]
    if folded:  # a difference of case only (`LOG`) is the nearest name
        return folded[0]
    matcher = difflib.SequenceMatcher(b=word)
    scores = []
    for name in names:
        matcher.set_seq1(name)
        scores.append((matcher.ratio(), name))
    scores.sort(reverse=True)
    if not scores or scores[0][0] < CUTOFF:
        return None
    if len(scores) > 1 and scores[1][0] == scores[0][0]:
        return None
    return scores[0][1]


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``"; did you mean 'diff'?"`` to append to an error message, or ``""``."""
    found = closest(word, choices)
    return f"; did you mean {found!r}?" if found is not None and found != word else ""


def hint(exc: PortSpecError) -> str:
    """The suggestion for an unknown release or role (``""`` for other errors).

    The role names come from the spec that was loaded (``err.known``), so ``--role``
    suggests the roles of that release, not a fixed list.
    """
    if isinstance(exc, UnknownReleaseError):
        return did_you_mean(normalize(exc.name), exc.known)
    if isinstance(exc, UnknownRoleError):
        return did_you_mean(exc.role, exc.known)
    return ""


def describe(exc: PortSpecError) -> str:
    """An error's one-line message with its suggestion, if any."""
    return f"{exc}{hint(exc)}"


def unknown_options(extras: Iterable[str], options: Iterable[str]) -> str:
    """The message for arguments a parser did not recognise, with the nearest option for
    each mistyped one: ``unrecognized arguments: --fromat json; did you mean '--format'?``."""
    extras = list(extras)
    valid = sorted(set(options))
    text = f"unrecognized arguments: {' '.join(extras)}"
    for word in extras:
        if word.startswith("-") and len(word) > 1 and not _is_number(word):
            text += did_you_mean(word.split("=", 1)[0], valid)
            break
    return text


def _is_number(word: str) -> bool:
    try:
        float(word)
    except ValueError:
        return False
    return True
