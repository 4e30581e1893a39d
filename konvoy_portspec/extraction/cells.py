"""Reading port and protocol cells as real docs write them.

Pure functions over already-extracted plain text, shared by the markdown and HTML
readers. Real docs write the same port in many ways (``22``, ``2379-2380``,
``30000–32767``, ``10250/TCP``, ``UDP 4789 (default)``, ``9091, 9092``, ``6443*``),
wrap it in prose (``usually UDP 8472``, ``TCP 2379 but may differ``), name a protocol
by its number (``GRE, protocol number 47``) or write no port at all ("Provider
dependent"); each spelling is normalised here, once.

What stays an error is what looks like a broken port, a docs bug a CI gate should
stop: a number out of range (``70000``, ``0``), a reversed range (``32767-30000``), a
number glued to letters (``22a``), a lone number word (``six``).
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from dataclasses import dataclass

from konvoy_portspec.errors import ExtractError
from konvoy_portspec.extraction.text import DASHES, FOOTNOTES, collapse, word_set
from konvoy_portspec.extraction.titles import clean_title, known_role, role_id_for
from konvoy_portspec.model import MAX_PORT, MIN_PORT
from konvoy_portspec.protocols import lookup

__all__ = [  # the title helpers are re-exported for the firewall rules page reader
    "NO_PORT_WORDS",
    "PortCell",
    "clean_title",
    "collapse",
    "is_port_text",
    "known_role",
    "parse_port_cell",
    "parse_protocol_cell",
    "role_id_for",
]

#: Words that mean "the usual transports" in a protocol column.
BOTH_WORDS = {"both", "any", "all", "tcp/udp", "udp/tcp"}
#: Application protocols that docs sometimes put in a protocol column; all run over TCP.
TCP_APPLICATION_PROTOCOLS = {"http", "https", "grpc", "ssh", "bgp", "tls", "h2", "websocket"}
#: Port cells that name no port number; such rows are kept as port-less rules.
NO_PORT_WORDS = {"", "n/a", "na", "none", "-", "any", "all", "*", "not applicable", "tbd"}
#: Number words: alone in a port cell they are a port someone forgot to write as digits.
NUMBER_WORDS = word_set(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty "
    "sixty seventy eighty ninety hundred thousand"
)

_PAREN = re.compile(r"\(([^()]*)\)")
_PROTO_TOKEN = re.compile(
    r"(?<![\w-])(ip[\s-]*in[\s-]*ip|ipv6-icmp|icmpv6|tcp|udp|sctp|icmp|ipip|esp|ah|gre|vrrp|igmp)(?![\w-])",
    re.IGNORECASE,
)
#: ``protocol 4``, ``IP protocol number 47``, ``protocol no. 112``: a protocol by number.
_PROTOCOL_NUMBER = re.compile(
    r"\b(?:ip\s+)?protocol(?:\s+(?:number|no\.?|#))?\s*:?\s*(\d{1,4})\b", re.IGNORECASE
)
_RANGE_SPACES = re.compile(r"(\d)\s*(?:-|:|\.\.|\bto\b|\bthrough\b|\bthru\b)\s*(\d)", re.IGNORECASE)
_SPLIT = re.compile(r"\s*(?:,|;|/|&|\+|\band\b|\bor\b)\s*|\s+", re.IGNORECASE)
_SINGLE = re.compile(r"\d+")
_RANGE = re.compile(r"(\d+)[-:](\d+)")
#: Digits that are prose, not a port: versions (``1.28``) and ordinals (``3rd``).
_NOT_A_NUMBER = re.compile(r"v?\d+(?:\.\d+)+|\d+(?:st|nd|rd|th)", re.IGNORECASE)
_PUNCTUATION = ".!?'\"`()[]"
#: Words that only join the parts of a cell: left out of its prose remark.
_GLUE = frozenset({"or", "and", "-", "&", "/"})


#: One item of a port cell: first and last port (``None`` for a port-less item such as
#: ``ICMP``), the protocols named for it, and its remark (``2379 (client)``).
Entry = tuple[int | None, int | None, tuple[str, ...], str]


@dataclass(frozen=True, slots=True)
class PortCell:
    """What one port cell says: its entries (see :data:`Entry`). ``prose`` marks a cell
    of words that names neither a port nor a protocol ("Provider dependent")."""

    entries: tuple[Entry, ...]
    raw: str = ""
    prose: bool = False

    @property
    def ranges(self) -> tuple[tuple[int, int], ...]:
        return tuple((s, e) for s, e, _, _ in self.entries if s is not None and e is not None)

    @property
    def protocols(self) -> tuple[str, ...]:
        """Every protocol the cell names, in order of appearance."""
        return tuple(dict.fromkeys(p for _, _, protos, _ in self.entries for p in protos))

    @property
    def remark(self) -> str:
        return "; ".join(dict.fromkeys(r for _, _, _, r in self.entries if r))

    @property
    def has_ports(self) -> bool:
        return any(s is not None for s, _, _, _ in self.entries)


def _protocols_in(text: str) -> tuple[list[str], str]:
    """Protocol names found in ``text`` (canonical, in order) and the text without them."""
    found: list[str] = []

    def take(match: re.Match[str]) -> str:
        word = re.sub(r"[\s-]+", "-", match.group(1).lower())
        # The spellings are protocols.py's (``ip-in-ip``, ``ipv6-icmp``, ...).
        found_proto = lookup(word) or lookup(word.replace("-", ""))
        proto = found_proto.name if found_proto is not None else word
        if proto not in found:
            found.append(proto)
        return " "

    rest = _PROTO_TOKEN.sub(take, text)
    return found, rest


def _numbered_protocols(text: str, raw: str) -> tuple[list[str], str]:
    """Protocols named by number (``protocol number 47`` -> ``gre``) and the text
    without them; an unknown number is an error, never a guess."""
    if "rotocol" not in text and "ROTOCOL" not in text:
        return [], text
    found: list[str] = []

    def take(match: re.Match[str]) -> str:
        protocol = lookup(str(int(match.group(1))))
        if protocol is None or protocol.number is None:
            raise ExtractError(f"unknown IP protocol number {match.group(1)} in cell {raw!r}")
        if protocol.name not in found:
            found.append(protocol.name)
        return " "

    return found, _PROTOCOL_NUMBER.sub(take, text)


def _check_port(value: int, raw: str) -> int:
    if not MIN_PORT <= value <= MAX_PORT:
        raise ExtractError(f"port {value} out of range {MIN_PORT}-{MAX_PORT} in cell {raw!r}")
    return value


def _port_range(first: str, last: str, raw: str) -> tuple[int, int]:
    """A checked ``first-last`` range of a cell (``raw`` is the cell, for messages)."""
    start = _check_port(int(first), raw)
    # A single port is one int object for both ends (200,000 rules keep 200,000 fewer).
    end = start if last == first else _check_port(int(last), raw)
    if start > end:
        raise ExtractError(f"reversed port range {start}-{end} in cell {raw!r}")
    return start, end


_PAIR_TOKENS = re.compile(_PROTO_TOKEN.pattern + r"|(?<![\w.])(\d+(?:-\d+)?)(?![\w.])", re.I)


def _pairs(item: str) -> list[str]:
    """``7000 TCP 9042 UDP`` / ``TCP 7000 UDP 9042`` (a matrix cell, a ``<br>`` list)
    as one item per protocol; other items (``TCP/UDP 53``) as they are."""
    if "(" in item:
        return [item]
    tokens = list(_PAIR_TOKENS.finditer(item))
    kinds = ["p" if t.group(1) else "n" for t in tokens]
    if kinds.count("p") < 2 or kinds.count("n") < 2 or "pp" in "".join(kinds):
        return [item]
    protocols = [t for t in tokens if t.group(1)]
    if kinds[0] == "p":  # protocol first: each protocol starts an item
        cuts = [t.start() for t in protocols[1:]]
    else:  # port first: each protocol ends one
        cuts = [t.end() for t in protocols[:-1]]
    bounds = [0, *cuts, len(item)]
    return [item[a:b].strip() for a, b in itertools.pairwise(bounds)]


def _split_items(text: str) -> list[str]:
    """Split a cell into list items at ``,``/``;``/``and``/``or``, not inside parentheses."""
    items: list[str] = []
    depth = 0
    current: list[str] = []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        if depth == 0 and ch in ",;":
            items.append("".join(current))
            current = []
        else:
            current.append(ch)
    items.append("".join(current))
    out: list[str] = []
    for item in items:
        for part in re.split(r"\s+(?:and|or)\s+", item, flags=re.IGNORECASE):
            out.extend(_pairs(part))
    return [i.strip() for i in out if i.strip()]


_ONLY_PROTOCOL_GLUE = re.compile(r"[\s/,&+]|\band\b|\bor\b", re.IGNORECASE)


def _parse_item(item: str, raw: str) -> tuple[list[Entry], list[str]]:
    """The entries of one list item and the words of prose around its ports."""
    protocols, item = _numbered_protocols(item, raw)
    remarks: list[str] = []

    def paren(match: re.Match[str]) -> str:
        inner = match.group(1).strip()
        found, rest = _protocols_in(inner)
        if re.fullmatch(r"[\d\s,:\-]+", inner) and re.search(r"\d", inner):
            return f" {inner} "  # "(9091, 9092)" is a list of ports, not a remark
        protocols.extend(p for p in found if p not in protocols)
        rest = collapse(rest).strip(" ,;/&+-")
        if rest and (not found or _ONLY_PROTOCOL_GLUE.sub("", rest)):
            remarks.append(rest if found else inner)  # "(UDP, Flannel VXLAN)": both
        return " "

    text = _PAREN.sub(paren, item)
    found, text = _protocols_in(text)
    protocols.extend(p for p in found if p not in protocols)
    text = _RANGE_SPACES.sub(r"\1-\2", collapse(text))
    text = re.sub(r"(?<!\d):|:(?!\d)", " ", text)
    text = re.sub(r"(?i)\bports?\b|\brange\b|#", " ", text).strip(" ,;/&+")
    named = tuple(protocols)
    remark = "; ".join(remarks)
    if text.casefold() in NO_PORT_WORDS:
        return [(None, None, named, remark)], []
    entries: list[Entry] = []
    words: list[str] = []
    for piece in _SPLIT.split(text):
        piece = piece.strip(_PUNCTUATION)
        if not piece:
            continue
        if piece[:1].isdigit() and len(piece) > 12:  # int() refuses > 4300 digits anyway
            raise ExtractError(
                f"port {piece[:12]}... out of range {MIN_PORT}-{MAX_PORT} in cell {raw!r}"
            )
        if _SINGLE.fullmatch(piece):
            port = _check_port(int(piece), raw)
            entries.append((port, port, named, remark))
            continue
        match = _RANGE.fullmatch(piece)
        if match:
            start, end = _port_range(match.group(1), match.group(2), raw)
            entries.append((start, end, named, remark))
            continue
        if piece.casefold() in NO_PORT_WORDS and not entries:
            continue
        if piece[:1].isdigit() and not _NOT_A_NUMBER.fullmatch(piece):
            raise ExtractError(f"not a port: {piece!r} in cell {raw!r}")
        words.append(piece)
    if words and all(w.casefold() in NUMBER_WORDS for w in words):
        raise ExtractError(f"not a port: {words[0]!r} in cell {raw!r}")
    while words and words[0].casefold() in _GLUE:
        words.pop(0)
    while words and words[-1].casefold() in _GLUE:
        words.pop()
    return entries or [(None, None, named, remark)], words


_PLAIN = re.compile(r"\s*(\d{1,5})(?:\s*[-\u2013:]\s*(\d{1,5}))?\s*")


@functools.lru_cache(maxsize=4096)
def parse_port_cell(raw: str) -> PortCell:
    """Parse a port cell. Raises :class:`ExtractError` for a broken port.

    Each list item keeps the protocols named for it (``22/tcp, 53/udp``); an item that
    names none takes the protocol the other items agree on (``TCP 9091, 9092``). Words
    around the ports are the cell's remark, kept on each of its ports
    (``usually UDP 8472`` -> 8472/udp, remark ``usually``).

    >>> parse_port_cell("UDP 4789 (default)").entries
    ((4789, 4789, ('udp',), 'default'),)
    """
    shown = collapse(raw)
    plain = _PLAIN.fullmatch(raw)
    if plain is not None:  # the common case: "22", "30000-32767"
        start, end = _port_range(plain.group(1), plain.group(2) or plain.group(1), shown)
        return PortCell(((start, end, (), ""),), shown)
    text = collapse(unicodedata.normalize("NFKC", raw).translate(DASHES))
    text = FOOTNOTES.sub("", text.replace("`", ""))
    entries: list[Entry] = []
    prose: list[str] = []
    for item in _split_items(text) or [""]:
        found, words = _parse_item(item, shown)
        entries.extend(found)
        if words:
            prose.append(" ".join(words))
    has_ports = any(s is not None for s, _, _, _ in entries)
    if has_ports:
        # "22, N/A" is a port list with a filler, not a port-less rule.
        entries = [entry for entry in entries if entry[0] is not None or entry[2]]
    named = {protos for _, _, protos, _ in entries if protos}
    if len(named) == 1:
        (shared,) = named
        entries = [(s, e, protos or shared, r) for s, e, protos, r in entries]
    if has_ports and prose:
        # Prose around the ports is a remark on each of them.
        around = "; ".join(prose)
        entries = [
            (s, e, protos, "; ".join(filter(None, (r, around))) if s is not None else r)
            for s, e, protos, r in entries
        ]
    entries = list(dict.fromkeys(entries))  # "GRE, protocol number 47": one rule
    is_prose = bool(prose) and not has_ports and not named
    return PortCell(tuple(entries), shown, is_prose)


def is_port_text(text: str) -> bool:
    """Whether ``text`` reads as a port cell (a port, a port-less word such as ``N/A``,
    a protocol) rather than as words ("Worker nodes") or a broken port."""
    try:
        return not parse_port_cell(text).prose
    except ExtractError:
        return False


@functools.lru_cache(maxsize=4096)
def parse_protocol_cell(raw: str) -> tuple[tuple[str, ...], str]:
    """Protocols named in a protocol column, and any text that is not a protocol.

    ``TCP/UDP`` and ``Both`` give two protocols; ``HTTPS`` counts as TCP;
    ``protocol 4`` is IP-in-IP. Text that names no transport at all is returned as the
    remainder so the caller can keep it.
    """
    text = collapse(unicodedata.normalize("NFKC", raw).translate(DASHES))
    text = FOOTNOTES.sub("", text)
    if text.casefold() in BOTH_WORDS:
        return ("tcp", "udp"), ""
    numbered, rest = _numbered_protocols(text, collapse(raw))
    found, rest = _protocols_in(rest)
    found += [p for p in numbered if p not in found]
    rest = collapse(re.sub(r"[\s/,&+()]|\band\b|\bor\b", " ", rest, flags=re.IGNORECASE))
    if not found and rest.casefold() in TCP_APPLICATION_PROTOCOLS:
        return ("tcp",), text
    return tuple(found), ("" if found and not rest else text if rest else "")
