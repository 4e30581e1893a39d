"""Reading the text of table cells: port cells, protocol cells, column headers, titles.

Pure functions over already-extracted plain text, shared by the markdown and HTML
readers. Real docs write the same port in many ways (``22``, ``2379-2380``,
``30000–32767``, ``10250/TCP``, ``UDP 4789 (default)``, ``9091, 9092``, ``6443*``);
each spelling is normalised here, once.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from konvoy_portspec.errors import ExtractError
from konvoy_portspec.model import MAX_PORT, MIN_PORT

#: Transport protocol names as docs spell them, to the canonical lower-case id.
PROTOCOL_NAMES = {
    "tcp": "tcp",
    "udp": "udp",
    "sctp": "sctp",
    "icmp": "icmp",
    "icmpv6": "icmpv6",
    "ipv6-icmp": "icmpv6",
    "ipip": "ipip",
    "ip-in-ip": "ipip",
    "ipinip": "ipip",
    "esp": "esp",
    "ah": "ah",
    "gre": "gre",
    "vrrp": "vrrp",
    "igmp": "igmp",
}
#: Words that mean "the usual transports" in a protocol column.
BOTH_WORDS = {"both", "any", "all", "tcp/udp", "udp/tcp"}
#: Application protocols that docs sometimes put in a protocol column; all run over TCP.
TCP_APPLICATION_PROTOCOLS = {"http", "https", "grpc", "ssh", "bgp", "tls", "h2", "websocket"}
#: Port cells that name no port number; such rows are kept as port-less rules.
NO_PORT_WORDS = {"", "n/a", "na", "none", "-", "any", "all", "*", "not applicable", "tbd"}

_DASHES = dict.fromkeys(
    map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"), "-"
)
_FOOTNOTES = re.compile(
    r"\[\^?\w{1,3}\]|\^\w{1,3}\b|[*\u2020\u2021\u00a7\u00b6\u2051]|[\u00b9\u00b2\u00b3\u2070-\u2079]"
)
_PAREN = re.compile(r"\(([^()]*)\)")
_PROTO_TOKEN = re.compile(
    r"(?<![\w-])(ip[\s-]*in[\s-]*ip|ipv6-icmp|icmpv6|tcp|udp|sctp|icmp|ipip|esp|ah|gre|vrrp|igmp)(?![\w-])",
    re.IGNORECASE,
)
_RANGE_SPACES = re.compile(r"(\d)\s*(?:-|:|\.\.|\bto\b|\bthrough\b|\bthru\b)\s*(\d)", re.IGNORECASE)
_SPLIT = re.compile(r"\s*(?:,|;|/|&|\+|\band\b|\bor\b)\s*|\s+", re.IGNORECASE)
_SINGLE = re.compile(r"\d+")
_RANGE = re.compile(r"(\d+)[-:](\d+)")
_WS = re.compile(r"\s+")


#: Invisible characters that docs toolchains put in headings and cells (Docusaurus puts a
#: zero-width space in its heading anchors); ``str.split`` does not count them as space.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)


def collapse(text: str) -> str:
    """Whitespace (tabs, newlines, no-break spaces) collapsed to single spaces."""
    return " ".join(text.translate(_INVISIBLE).split())


#: One item of a port cell: first and last port (``None`` for a port-less item such as
#: ``ICMP``), the protocols named for it, and its remark (``2379 (client)``).
Entry = tuple[int | None, int | None, tuple[str, ...], str]


@dataclass(frozen=True, slots=True)
class PortCell:
    """What one port cell says: its entries (see :data:`Entry`)."""

    entries: tuple[Entry, ...]
    raw: str = ""

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
        proto = PROTOCOL_NAMES.get(word) or PROTOCOL_NAMES.get(word.replace("-", ""), word)
        if proto not in found:
            found.append(proto)
        return " "

    rest = _PROTO_TOKEN.sub(take, text)
    return found, rest


def _check_port(value: int, raw: str) -> int:
    if not MIN_PORT <= value <= MAX_PORT:
        raise ExtractError(f"port {value} out of range {MIN_PORT}-{MAX_PORT} in cell {raw!r}")
    return value


def _port_range(first: str, last: str, raw: str) -> tuple[int, int]:
    """A checked ``first-last`` range of a cell (``raw`` is the cell, for messages)."""
    start, end = _check_port(int(first), raw), _check_port(int(last), raw)
    if start > end:
        raise ExtractError(f"reversed port range {start}-{end} in cell {raw!r}")
    return start, end


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
        out.extend(re.split(r"\s+(?:and|or)\s+", item, flags=re.IGNORECASE))
    return [i.strip() for i in out if i.strip()]


_ONLY_PROTOCOL_GLUE = re.compile(r"[\s/,&+]|\band\b|\bor\b", re.IGNORECASE)


def _parse_item(item: str, raw: str) -> list[Entry]:
    protocols: list[str] = []
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
    found_protocols = tuple(protocols)
    remark = "; ".join(remarks)
    if text.casefold() in NO_PORT_WORDS:
        return [(None, None, found_protocols, remark)]
    entries: list[Entry] = []
    for piece in _SPLIT.split(text):
        if not piece:
            continue
        if piece[:1].isdigit() and len(piece) > 12:  # int() refuses > 4300 digits anyway
            raise ExtractError(
                f"port {piece[:12]}... out of range {MIN_PORT}-{MAX_PORT} in cell {raw!r}"
            )
        if _SINGLE.fullmatch(piece):
            port = _check_port(int(piece), raw)
            entries.append((port, port, found_protocols, remark))
            continue
        match = _RANGE.fullmatch(piece)
        if match:
            start, end = _port_range(match.group(1), match.group(2), raw)
            entries.append((start, end, found_protocols, remark))
            continue
        if piece.casefold() in NO_PORT_WORDS and not entries:
            continue
        raise ExtractError(f"not a port: {piece!r} in cell {raw!r}")
    return entries or [(None, None, found_protocols, remark)]


_PLAIN = re.compile(r"\s*(\d{1,5})(?:\s*[-\u2013:]\s*(\d{1,5}))?\s*")


@functools.lru_cache(maxsize=4096)
def parse_port_cell(raw: str) -> PortCell:
    """Parse a port cell. Raises :class:`ExtractError` for text that is not a port.

    Each list item keeps the protocols named for it (``22/tcp, 53/udp``); an item that
    names none takes the protocol the other items agree on (``TCP 9091, 9092``).

    >>> parse_port_cell("UDP 4789 (default)").entries
    ((4789, 4789, ('udp',), 'default'),)
    """
    shown = collapse(raw)
    plain = _PLAIN.fullmatch(raw)
    if plain is not None:  # the common case: "22", "30000-32767"
        start, end = _port_range(plain.group(1), plain.group(2) or plain.group(1), shown)
        return PortCell(((start, end, (), ""),), shown)
    text = collapse(unicodedata.normalize("NFKC", raw).translate(_DASHES))
    text = _FOOTNOTES.sub("", text.replace("`", ""))
    entries: list[Entry] = []
    for item in _split_items(text) or [""]:
        entries.extend(_parse_item(item, shown))
    named = {protos for _, _, protos, _ in entries if protos}
    if len(named) == 1:
        (shared,) = named
        entries = [(s, e, protos or shared, r) for s, e, protos, r in entries]
    if any(s is not None for s, _, _, _ in entries):
        # "22, N/A" is a port list with a filler, not a port-less rule.
        entries = [entry for entry in entries if entry[0] is not None or entry[2]]
    return PortCell(tuple(entries), shown)


@functools.lru_cache(maxsize=4096)
def parse_protocol_cell(raw: str) -> tuple[tuple[str, ...], str]:
    """Protocols named in a protocol column, and any text that is not a protocol.

    ``TCP/UDP`` and ``Both`` give two protocols; ``HTTPS`` counts as TCP. Text that
    names no transport at all is returned as the remainder so the caller can keep it.
    """
    text = collapse(unicodedata.normalize("NFKC", raw).translate(_DASHES))
    text = _FOOTNOTES.sub("", text)
    if text.casefold() in BOTH_WORDS:
        return ("tcp", "udp"), ""
    found, rest = _protocols_in(text)
    rest = collapse(re.sub(r"[\s/,&+()]|\band\b|\bor\b", " ", rest, flags=re.IGNORECASE))
    if not found and rest.casefold() in TCP_APPLICATION_PROTOCOLS:
        return ("tcp",), text
    return tuple(found), ("" if found and not rest else text if rest else "")


# --- column headers --------------------------------------------------------------

PORT, PORT_START, PORT_END, PROTOCOL, COMPONENT, NOTES = (
    "port",
    "port_start",
    "port_end",
    "protocol",
    "component",
    "notes",
)
_COMPONENT_WORDS = {
    "component",
    "components",
    "service",
    "services",
    "used",
    "process",
    "processes",
    "application",
    "applications",
    "app",
    "daemon",
    "program",
    "binary",
    "workload",
}
_NOTES_WORDS = {
    "notes",
    "note",
    "purpose",
    "description",
    "descriptions",
    "comment",
    "comments",
    "details",
    "usage",
    "remarks",
    "remark",
    "function",
    "use",
    "reason",
}
_PROTOCOL_WORDS = {"protocol", "protocols", "proto", "transport", "l4"}


@functools.lru_cache(maxsize=4096)
def header_key(raw: str) -> str:
    """A header cell reduced to lower-case words: ``**Port(s)**`` -> ``port``."""
    text = _FOOTNOTES.sub("", unicodedata.normalize("NFKC", raw).translate(_DASHES)).casefold()
    text = text.replace("(s)", "")
    return " ".join(re.findall(r"[a-z0-9]+", text))


#: A header holding one of these words (see ``header_key``) names a port column. The
#: scan's prefilter looks for them too, so a word added here is never skipped there.
PORT_WORDS = frozenset({"port", "ports", "dport", "range", "ranges"})


@functools.lru_cache(maxsize=4096)
def classify_header(raw: str) -> str:
    """The model field a column feeds, or an ``extra`` key (a slug) for unknown columns."""
    key = header_key(raw)
    words = set(key.split())
    has_port = bool(words & PORT_WORDS)
    if has_port and words & {"source", "src", "name"}:
        return key.replace(" ", "_")
    if has_port and words & {"start", "from", "first", "begin", "min", "low"}:
        return PORT_START
    if has_port and words & {"end", "to", "last", "max", "high"}:
        return PORT_END
    if has_port:
        return PORT
    if words & _PROTOCOL_WORDS:
        return PROTOCOL
    if words & _COMPONENT_WORDS:
        return COMPONENT
    if words & _NOTES_WORDS:
        return NOTES
    return key.replace(" ", "_") or "column"


# --- titles and roles --------------------------------------------------------------

_ROLE_PATTERNS = (
    (
        "control-plane",
        re.compile(
            r"control[\s_-]*plane|\bmasters?\b|\bserver nodes?\b|\bservers\b|\bmanager nodes?\b"
        ),
    ),
    ("worker", re.compile(r"\bworkers?\b|\bagents?\b|\bminions?\b|\bcompute nodes?\b")),
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


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.casefold()).strip("-")


@functools.lru_cache(maxsize=4096)
def known_role(title: str) -> str | None:
    """``control-plane`` / ``worker`` (with an OS qualifier) for titles that name one."""
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
