"""Column headers: which model field a column feeds, and which tables are port tables.

The scan's prefilter (:mod:`konvoy_portspec.extraction.prefilter`) judges pages by the
same words, so a word added here is one it looks for too (:data:`HEADER_WORDS`).
"""

from __future__ import annotations

import functools
import re
import unicodedata

from konvoy_portspec.extraction.text import DASHES, FOOTNOTES

PORT, PORT_START, PORT_END, PROTOCOL, COMPONENT, NOTES, DIRECTION = (
    "port",
    "port_start",
    "port_end",
    "protocol",
    "component",
    "notes",
    "direction",
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
#: Columns that say where the traffic of a row comes from, or goes to: a table with
#: only the first kind lists what comes in, with only the second what goes out.
SOURCE_WORDS = frozenset({"source", "sources", "src"})
DESTINATION_WORDS = frozenset({"destination", "destinations", "dest", "dst"})


@functools.lru_cache(maxsize=4096)
def header_key(raw: str) -> str:
    """A header cell reduced to lower-case words: ``**Port(s)**`` -> ``port``."""
    text = FOOTNOTES.sub("", unicodedata.normalize("NFKC", raw).translate(DASHES)).casefold()
    text = text.replace("(s)", "")
    return " ".join(re.findall(r"[a-z0-9]+", text))


#: A header holding one of these words (see ``header_key``) names a port column.
PORT_WORDS = frozenset({"port", "ports", "dport", "range", "ranges"})
#: The first header cell of a connectivity matrix holds this word (``From \ To``,
#: ``From``, ``From ↓ To →``): rows are where traffic comes from, columns where it goes.
MATRIX_WORDS = frozenset({"from"})
#: Every word that can make a table a port table: what the prefilter looks for.
HEADER_WORDS = PORT_WORDS | MATRIX_WORDS


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
    if "direction" in words:
        return DIRECTION
    return key.replace(" ", "_") or "column"


def is_port_field(field: str) -> bool:
    """A field that holds port numbers: ``port``, ``port_start``, ``port:tcp``."""
    return field in (PORT, PORT_START) or field.startswith(PORT + ":")


def is_matrix_corner(raw: str) -> bool:
    """Whether a first header cell opens a connectivity matrix (``From \\ To``)."""
    return bool(set(header_key(raw).split()) & MATRIX_WORDS)


def column_texts(header: list[list[str]]) -> list[str]:
    """Each column's header text: the distinct texts of its header rows, joined."""
    width = max((len(r) for r in header), default=0)
    return [
        " ".join(dict.fromkeys(r[c] for r in header if c < len(r) and r[c])) for c in range(width)
    ]
