"""Plain-text helpers every part of the extractor shares: whitespace, invisible
characters, dashes, footnote marks and slugs.

Kept apart from the cell, header and title readers so that each of those can use them
without importing the others.
"""

from __future__ import annotations

import re
import unicodedata

#: Invisible characters that docs toolchains put in headings and cells (Docusaurus puts a
#: zero-width space in its heading anchors); ``str.split`` does not count them as space.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)

#: Every dash and minus sign docs use in ranges, to ``-``.
DASHES = dict.fromkeys(
    map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"), "-"
)

#: Footnote marks: ``[1]``, ``[^a]``, ``^1``, ``*``, daggers, section signs, superscripts.
FOOTNOTES = re.compile(
    r"\[\^?\w{1,3}\]|\^\w{1,3}\b|[*\u2020\u2021\u00a7\u00b6\u2051]|[\u00b9\u00b2\u00b3\u2070-\u2079]"
)


def collapse(text: str) -> str:
    """Whitespace (tabs, newlines, no-break spaces) collapsed to single spaces."""
    out = " ".join(text.translate(_INVISIBLE).split())
    return text if out == text else out  # the same object: shared cell texts stay shared


def slug(text: str) -> str:
    """Lower-case ASCII words joined by ``-``: ``Worker Nodes (Linux)`` ->
    ``worker-nodes-linux``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.casefold()).strip("-")


def word_set(words: str) -> frozenset[str]:
    """The words of a space-separated list, for the word tables of the readers."""
    return frozenset(words.split())
