"""Titles and roles: heading and caption text, the role a title names, role ids.

``Control plane nodes``, ``Masters``, ``Server nodes``, ``Controller nodes`` (k0s) all
name the control plane; ``Worker node(s)``, ``Agents``, a bare ``Nodes`` the workers. A
lead-in sentence above a table ("If Calico is used, it requires:") titles nothing; a
short caption ("Inbound rules:") does.
"""

from __future__ import annotations

import functools
import re

from konvoy_portspec.extraction.text import collapse, slug, word_set

_ROLE_PATTERNS = (
    (
        "control-plane",
        re.compile(
            r"control[\s_-]*plane|\bmasters?\b|\bserver nodes?\b|\bservers\b|\bmanager nodes?\b"
            r"|\bcontroller nodes?\b"
        ),
    ),
    (
        "worker",
        re.compile(r"\bworkers?\b|\bagents?\b|\bminions?\b|\bcompute nodes?\b|^\s*nodes?\s*$"),
    ),
)
_QUALIFIERS = {"windows": "windows"}

_ATTRIBUTES = re.compile(r"\s*\{[#.][^{}]*\}\s*$")
# Daggers and section signs only: a trailing ``*`` in a component or notes cell is as
# likely literal text as a footnote (the port cell, where it cannot be, drops it too).
_TRAILING_MARKS = re.compile(r"(?<=\S)[\u2020\u2021\u00a7]+$")


def clean_title(raw: str) -> str:
    """Heading text without permalink marks (``¶``, trailing ``#``), heading attributes
    (``{#id}``, as Hugo and kramdown write them) or extra space."""
    text = collapse(raw.replace("\u00b6", " ").replace("\U0001f517", " "))
    text = _ATTRIBUTES.sub("", text)
    return text.rstrip("#: ").strip()


_CAPTION_NUMBER = re.compile(r"^(?:table|tab\.|figure|fig\.)\s*\d+(?:[.:-]\d+)*[.:]?\s+", re.I)


def strip_caption_number(caption: str) -> str:
    """``Table 1. Master nodes`` -> ``Master nodes``: numbers that Sphinx (numfig) and
    Asciidoctor generate would otherwise change the title, and so the role id, whenever
    a table is added above."""
    return _CAPTION_NUMBER.sub("", caption) or caption


@functools.lru_cache(maxsize=4096)
def clean_text(raw: str) -> str:
    """A component or notes cell without trailing footnote marks (``Services†``)."""
    return _TRAILING_MARKS.sub("", collapse(raw)).strip()


@functools.lru_cache(maxsize=4096)
def known_role(title: str) -> str | None:
    """``control-plane`` / ``worker`` (with an OS qualifier) for titles that name one.
    ``Node(s)`` and ``Nodes`` alone are the workers (the Kubernetes docs' usage)."""
    text = title.casefold()
    qualifiers = [q.strip() for q in re.findall(r"\(([^()]*)\)", text)]
    base = re.sub(r"\([^()]*\)", " ", text)
    for role_id, pattern in _ROLE_PATTERNS:
        if pattern.search(base):
            extra = [_QUALIFIERS[q] for q in qualifiers if q in _QUALIFIERS]
            return "-".join([role_id, *extra])
    return None


@functools.lru_cache(maxsize=4096)
def role_id_for(title: str) -> str:
    return known_role(title) or slug(title) or "ports"


#: First words of a lead-in sentence ("If Calico is used, it requires:").
_SENTENCE_OPENERS = word_set(
    "if when whenever unless once while because since although though where "
    "depending additionally also note"
)
#: Words that make a line a sentence rather than a title ("Calico requires:").
_SENTENCE_WORDS = word_set(
    "requires require required needs need needed must should following below is are "
    "will can may uses"
)


@functools.lru_cache(maxsize=4096)
def is_lead_in_sentence(text: str) -> bool:
    """Whether a line above a table is a sentence that leads into it rather than its
    title: a clause comma, a subordinating first word, or a verb such as ``requires``.
    Such a line is not a better title than the heading above it."""
    line = text.strip().rstrip(":").strip()
    if ", " in line:
        return True
    words = re.findall(r"[a-z]+", line.casefold())
    return bool(words) and (words[0] in _SENTENCE_OPENERS or bool(set(words) & _SENTENCE_WORDS))


_DIRECTIONS = {
    "inbound": "inbound",
    "ingress": "inbound",
    "incoming": "inbound",
    "outbound": "outbound",
    "egress": "outbound",
    "outgoing": "outbound",
}


def direction_of(text: str) -> str | None:
    """``inbound`` / ``outbound`` for a heading or caption that names a direction."""
    found = {_DIRECTIONS[w] for w in re.findall(r"[a-z]+", text.casefold()) if w in _DIRECTIONS}
    return found.pop() if len(found) == 1 else None
