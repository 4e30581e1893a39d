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
from konvoy_portspec.model import INBOUND, OUTBOUND

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


#: Words that name a direction, to the direction (:data:`~konvoy_portspec.model.DIRECTIONS`).
DIRECTION_WORDS = {
    "inbound": INBOUND,
    "ingress": INBOUND,
    "incoming": INBOUND,
    "outbound": OUTBOUND,
    "egress": OUTBOUND,
    "outgoing": OUTBOUND,
}
#: Kubernetes has an Ingress resource and egress gateways: "Ingress", "Ingress
#: controller" and "NGINX Ingress" name no direction. These two count only in a phrase
#: ("Ingress rules", "Egress to the internet") or next to a role ("Server nodes:
#: ingress").
_AMBIGUOUS = frozenset({"ingress", "egress"})
#: Prepositions after the phrase: which of them lead to the node of the role (inbound
#: rules *for*/*to* the server nodes, outbound *from* them) rather than to the peer.
_TO_ROLE = {INBOUND: word_set("for to on into at of"), OUTBOUND: word_set("for from on at of")}
_DIRECTION_PHRASE = re.compile(
    r"\b(?P<word>inbound|outbound|incoming|outgoing|ingress|egress)\b"
    r"(?P<nouns>(?:\s+(?:network(?:ing)?|firewall|rules?|traffic|ports?|connections?"
    r"|connectivity|access|communications?|requirements|flows?|packets|policy|policies)\b)*)"
    r"(?:\s+(?P<prep>for|to|on|into|at|of|from)\b(?P<peer>[^,:;()|/\u2013\u2014]*))?",
    re.IGNORECASE,
)
_EDGE_FILLER = re.compile(
    r"^(?:[\s,:;|/\-\u2013\u2014]|\b(?:for|to|on|into|at|of|from|and|the)\b)+"
    r"|(?:[\s,:;|/\-\u2013\u2014]|\b(?:for|to|on|into|at|of|from|and|the)\b)+$",
    re.IGNORECASE,
)


@functools.lru_cache(maxsize=4096)
def split_direction(title: str) -> tuple[str | None, str]:
    """The direction a heading, caption or tab names, and the title without it.

    ``Server nodes - Inbound rules`` -> (``inbound``, ``Server nodes``); ``Inbound rules
    for server nodes`` -> (``inbound``, ``Server nodes``); ``Outbound rules`` ->
    (``outbound``, ``""``): such a title names the direction of its rules, not a role.
    The peer of the traffic is no part of the title (``Inbound rules from agent nodes``
    -> ``""``). A title naming both directions, or none, is returned as it is.
    """
    matches = list(_DIRECTION_PHRASE.finditer(title))
    directions = {DIRECTION_WORDS[m.group("word").casefold()] for m in matches}
    if len(directions) != 1:
        return None, title
    (direction,) = directions
    pieces: list[str] = []
    end = 0
    for match in matches:
        pieces.append(title[end : match.start()])
        prep = (match.group("prep") or "").casefold()
        if prep in _TO_ROLE[direction]:
            pieces.append(" " + match.group("peer"))
        end = match.end()
    pieces.append(title[end:])
    rest = _tidy("".join(pieces))
    ambiguous = all(
        m.group("word").casefold() in _AMBIGUOUS and not m.group("nouns") and not m.group("prep")
        for m in matches
    )
    if ambiguous and (not rest or known_role(rest) is None):
        return None, title
    if rest and rest[0].islower() and title[:1].isupper():
        rest = rest[0].upper() + rest[1:]
    return direction, rest


def _tidy(text: str) -> str:
    text = collapse(re.sub(r"\(\s*\)|\[\s*\]", " ", text))
    while True:
        trimmed = _EDGE_FILLER.sub("", text).strip()
        if trimmed == text:
            return text
        text = trimmed


def cell_direction(text: str) -> tuple[str | None, bool]:
    """The direction a Direction column's cell names, and whether that is all it says
    (``Inbound``, ``egress``, ``in``): such a cell needs no keeping beside the rule's
    direction. ``worker <-> controller`` names none."""
    words = re.findall(r"[a-z]+", text.casefold())
    if len(words) == 1 and words[0] in ("in", "out"):
        return (INBOUND if words[0] == "in" else OUTBOUND), True
    found = {DIRECTION_WORDS[w] for w in words if w in DIRECTION_WORDS}
    if len(found) != 1:
        return None, False
    return found.pop(), len(words) == 1
