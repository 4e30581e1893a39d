"""Template and component markup in docs sources: what is markup (not text), which pages
are MDX, and where tabs start and end.

Docs toolchains put their own syntax inside markdown: Jekyll's Liquid
(``{% link_to x %}``, ``{{ site.name }}``), Hugo's shortcodes (``{{< relref >}}``,
``{{% tab %}}``) and, in MDX pages (Docusaurus), JSX expressions (``{' '}``,
``{prodname}``) and components (``<Link>``, ``<TabItem label="Canal">``). None of it is
cell text, and the markdown parser does not know it; it is removed here, after the
readers, so a port cell ``6443{' '}`` reads as ``6443``.

A Liquid variable without a dotted name (``{{ version }}``) is kept as written: it is
what a page about Jinja templates may hold as literal text, and what the project's own
markdown renderer writes for such text.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass

# Interiors stop at a brace, so text with many unclosed openers is still read in
# linear time (no tag, shortcode or comment holds a brace).
_LIQUID_TAG = re.compile(r"\{%[^{}]*?%\}")
#: ``{% comment %}...{% endcomment %}``: the inside of a comment is no text either.
_LIQUID_COMMENT = re.compile(r"\{%-?\s*comment\s*-?%\}")
_LIQUID_END_COMMENT = re.compile(r"\{%-?\s*endcomment\s*-?%\}")
_HUGO_SHORTCODE = re.compile(r"\{\{[<%][^{}]*?[>%]\}\}")
#: ``{{ site.name }}``, ``{{ page.version | default: "x" }}``, ``{{ .Site.Params.x }}``.
_LIQUID_OUTPUT = re.compile(
    r"\{\{-?\s*(?:\.[A-Za-z_][\w-]*|[A-Za-z_][\w-]*(?=[.\[]))"
    r"(?:\.[\w-]+|\[[^\[\]{}]*\])*(?:\s*\|[^{}]*)?\s*-?\}\}"
)
_JSX_COMMENT = re.compile(r"\{/\*[^{}]*?\*/\}")
_JSX_STRING = re.compile(r"\{\s*(?:'([^'{}]*)'|\"([^\"{}]*)\"|`([^`{}]*)`)\s*\}")
_JSX_NAME = re.compile(r"\{\s*[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*\s*\}")
#: A capitalised component tag, its attributes possibly holding ``{...}`` expressions.
_JSX_TAG = re.compile(r"</?[A-Z][\w.]*(?:\s+(?:[^<>{}]|\{[^{}]*\})*)?/?>")


def _without_liquid_comments(text: str) -> str:
    """``text`` without ``{% comment %}...{% endcomment %}`` blocks (an unclosed one
    runs to the end, as in Liquid)."""
    out: list[str] = []
    pos = 0
    while (start := _LIQUID_COMMENT.search(text, pos)) is not None:
        out.append(text[pos : start.start()])
        end = _LIQUID_END_COMMENT.search(text, start.end())
        if end is None:
            return " ".join(out)
        out.append(" ")
        pos = end.end()
    out.append(text[pos:])
    return "".join(out)


def strip_markup(text: str, jsx: bool = False) -> str:
    """``text`` without Liquid tags, Hugo shortcodes, dotted Liquid variables and, when
    ``jsx`` (an MDX page), JSX comments, expressions and component tags; string
    expressions (``{' '}``) become their text."""
    if "{" not in text and not (jsx and "<" in text):
        return text
    if "{{" in text:  # first: a shortcode's {{% ... %}} holds what looks like Liquid
        text = _HUGO_SHORTCODE.sub(" ", text)
    if "{%" in text:
        text = _LIQUID_TAG.sub(" ", _without_liquid_comments(text))
    if "{{" in text:
        text = _LIQUID_OUTPUT.sub(" ", text)
    if jsx:
        text = _JSX_COMMENT.sub("", text)
        text = _JSX_STRING.sub(lambda m: m.group(1) or m.group(2) or m.group(3) or " ", text)
        text = _JSX_TAG.sub(" ", _JSX_NAME.sub(" ", text))
    return " ".join(text.split())


_MDX_SIGNS = re.compile(
    r"^(?:import\s+[\w{*$][^\n]*?\sfrom\s+['\"]|export\s+(?:const|default|function|let)\b"
    r"|[ \t]{0,3}<[A-Z][\w.]*[\s/>])",
    re.MULTILINE,
)


def is_mdx(text: str, path: str | None = None) -> bool:
    """An MDX page: named ``.mdx``, or markdown that imports, exports or uses JSX
    components (Docusaurus reads its ``.md`` pages as MDX). In MDX indentation makes no
    code block, and ``{...}`` is an expression."""
    if path is not None and path.lower().endswith(".mdx"):
        return True
    return _MDX_SIGNS.search(text) is not None


@dataclass(frozen=True, slots=True)
class TabMarker:
    """Where a tab opens (``label`` set) or closes (``label`` is ``None``)."""

    line: int
    column: int
    label: str | None


_ATTR = r"""\s*=\s*(?:"([^"]*)"|'([^']*)'|\{\s*["'`]([^"'`]*)["'`]\s*\})"""
_COMPONENT_TAB = re.compile(r"<(/?)(?:TabItem|Tab)\b((?:[^<>{}]|\{[^{}]*\})*)>")
_LABEL = re.compile(r"\b(?:label|title)" + _ATTR)
_VALUE = re.compile(r"\bvalue" + _ATTR)
_SHORTCODE_TAB = re.compile(r"\{\{([<%])\s*(/?)tab\b(?![\w-])([^{}]*?)[>%]\}\}")
_SHORTCODE_LABEL = re.compile(r"""(?:\b(?:name|header|title|label)\s*=\s*)?"([^"]*)\"""")


def _attribute(pattern: re.Pattern[str], attrs: str) -> str | None:
    match = pattern.search(attrs)
    if match is None:
        return None
    return next((g for g in match.groups() if g is not None), "")


def _label(kind: str, attrs: str) -> str | None:
    """A tab's label, ``""`` for a tab without one, ``None`` for a self-closing tag."""
    if kind == "component":
        if attrs.rstrip().endswith("/"):
            return None
        label = _attribute(_LABEL, attrs) or _attribute(_VALUE, attrs)
        return " ".join((label or "").split())
    match = _SHORTCODE_LABEL.search(attrs)
    return " ".join(match.group(1).split()) if match else ""


def find_tab_markers(text: str, inert: Iterable[tuple[int, int]] = ()) -> list[TabMarker]:
    """Tab starts and ends in markdown source: ``<TabItem value="x" label="Canal">`` /
    ``</TabItem>`` (and ``<Tab title>``), Hugo's ``{{< tab "Canal" >}}`` /
    ``{{< /tab >}}``. Lines are 1-based; ``inert`` holds 0-based ``[start, end)`` line
    ranges (code, comments) whose markers are examples, not tabs."""
    if "<Tab" not in text and "</Tab" not in text and "{{" not in text:
        return []
    starts = [0]
    starts += [m.end() for m in re.finditer("\n", text)]
    ranges = sorted(inert)
    found: list[tuple[int, TabMarker]] = []

    def add(offset: int, label: str | None) -> None:
        line = bisect.bisect_right(starts, offset) - 1
        if any(a <= line < b for a, b in ranges):
            return
        found.append((offset, TabMarker(line + 1, offset - starts[line], label)))

    for match in _COMPONENT_TAB.finditer(text):
        if match.group(1):
            add(match.start(), None)
            continue
        label = _label("component", match.group(2))
        if label is not None:  # a self-closing tab holds nothing
            add(match.start(), label)
    if "{{" in text:
        for match in _SHORTCODE_TAB.finditer(text):
            if match.group(2):
                add(match.start(), None)
                continue
            add(match.start(), _label("shortcode", match.group(3)))
    return [marker for _, marker in sorted(found, key=lambda item: item[0])]
