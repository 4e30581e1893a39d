"""Docs page -> :class:`~konvoy_portspec.model.Spec`.

Pipeline: decode the bytes (UTF-8, BOM, CRLF), split off front matter, read the page as
markdown (markdown-it-py; MDX pages too) or as a whole HTML page (beautifulsoup4) into a
list of events, then turn the port tables among them into roles (``build``). Heavy
parsers, and the modules that turn tables into rules, are imported when a page is
read, so the CLI (and a scan whose pages are all cached) never pays for them.

What a page holds that is not worth refusing it for (a port cell in prose) is reported
through an optional ``warnings`` list; with ``keep_going``, a broken port cell is
reported there too and its row left out, instead of raising :class:`ExtractError`.
"""

from __future__ import annotations

import os
import re
from typing import Any

from konvoy_portspec.errors import ExtractError, PortSpecError, SpecFormatError
from konvoy_portspec.extraction.findings import ExtractWarning
from konvoy_portspec.io.files import MAX_PAGE_SIZE, read_bytes
from konvoy_portspec.io.spec_json import check_spec
from konvoy_portspec.model import Role, RoleMap, Source, Spec
from konvoy_portspec.release_names import normalize

TYPE_CHECKING = False
if TYPE_CHECKING:
    from konvoy_portspec.extraction.events import Event

__all__ = [
    "ExtractWarning",
    "decode",
    "extract",
    "extract_bytes",
    "extract_file",
    "extract_text",
    "product_from",
    "read_events",
    "read_page",
    "release_from",
    "split_front_matter",
]

_HTML_PAGE = re.compile(
    r"\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)\b", re.IGNORECASE | re.DOTALL
)
#: A first line that opens front matter: ``---`` or ``+++``, white space around it.
_FRONT_MATTER_FENCE = re.compile(r"[^\S\n]*(---|\+\+\+)[^\S\n]*(?:\n|\Z)")
_RELEASE_IN_PATH = re.compile(r"^v?(\d+\.\d+(?:\.\d+)?)$", re.IGNORECASE)
_RELEASE_KEYS = ("release", "version", "konvoy_version", "dkp_version")
#: Characters no page may hold: control characters other than tab, line feed, vertical
#: tab, form feed and carriage return (which readers treat as space or line breaks), and
#: lone surrogates (text that cannot be written back as UTF-8). One rule: such a page is
#: refused at the line, never cleaned silently; spec files are refused the same way.
_CONTROL_IN_PAGE = re.compile("[\x01-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def _sha256(data: bytes) -> str:
    """The hex digest a spec's ``source`` records. hashlib is imported here: a scan
    never records one, and its workers start sooner without it."""
    import hashlib

    return hashlib.sha256(data).hexdigest()


def decode(raw: bytes, name: str = "<input>") -> str:
    """Bytes to text with ``\\n`` line ends; one clear error for what is not UTF-8 text."""
    if b"\x00" in raw:
        raise ExtractError("not a text file (it holds NUL bytes)", path=name)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ExtractError("not UTF-8 text", path=name, line=line) from None
    return _normalized(text, name)


def _normalized(text: str, name: str) -> str:
    """Page text as every reader expects it: no NUL, no byte order marks, ``\\n`` line
    ends. One place, so a page reads the same from bytes (scan) and from text."""
    if "\x00" in text:
        raise ExtractError("not a text file (it holds NUL bytes)", path=name)
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    bad = _CONTROL_IN_PAGE.search(text)
    if bad is not None:
        char = bad.group()
        what = "a lone surrogate" if "\ud800" <= char <= "\udfff" else "the control character"
        raise ExtractError(
            f"holds {what} U+{ord(char):04X}; a page must be plain text (tabs and line "
            "breaks are fine)",
            path=name,
            line=text.count("\n", 0, bad.start()) + 1,
        )
    return text


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Front matter (YAML ``---`` or TOML ``+++``) and the page with it blanked out.

    The front matter lines are replaced by empty lines rather than removed, so line
    numbers in errors still match the file.
    """
    opening = _FRONT_MATTER_FENCE.match(text)
    if opening is None:  # most pages: the page is not split into lines
        return {}, text
    fence = opening.group(1)
    lines = text.split("\n")
    for end in range(1, len(lines)):
        if lines[end].strip() == fence:
            break
    else:
        return {}, text
    body = "\n".join(lines[1:end])
    data: Any
    try:
        if fence == "---":
            import yaml

            # The base loader keeps every scalar a string, so `version: 1.10` stays
            # "1.10" (a typed loader reads the float 1.1); libyaml's when available,
            # since front matter is parsed on every page a scan reads.
            loader = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
            data = yaml.load(body, Loader=loader)
        else:
            import tomllib

            data = _numbers_as_written(tomllib.loads(body), body)
    except Exception:  # malformed front matter is not fatal: the tables are what matter
        data = {}
    if not isinstance(data, dict):
        data = {}
    blanked = "\n" * end + "\n" + "\n".join(lines[end + 1 :])
    return data, blanked


def _numbers_as_written(data: dict[str, Any], body: str) -> dict[str, Any]:
    """Top-level TOML numbers as their source text: ``version = 1.10`` is "1.10"."""
    for key, value in data.items():
        if type(value) in (int, float):
            match = re.search(rf"^\s*{re.escape(key)}\s*=\s*([^\s#]+)", body, re.MULTILINE)
            data[key] = match.group(1) if match else str(value)
    return data


def release_from(meta: dict[str, Any], path: str | None) -> str | None:
    """The release a page names: a front matter key, else a ``vX.Y``/``X.Y`` folder."""
    for key in _RELEASE_KEYS:
        value = meta.get(key)
        if isinstance(value, str) and value.strip():
            return normalize(value)
    if path:
        parts = os.path.normpath(os.path.abspath(path)).split(os.sep)
        for part in reversed(parts[:-1]):
            match = _RELEASE_IN_PATH.match(part)
            if match:
                return "v" + match.group(1)
    return None


def is_html_page(text: str, path: str | None = None) -> bool:
    if path and path.lower().endswith((".html", ".htm", ".xhtml")):
        return True
    return _HTML_PAGE.match(text[:4096]) is not None


def read_events(body: str, path: str | None = None, mdx: bool | None = None) -> list[Event]:
    """Headings, captions, tabs and tables of a page body (front matter already split
    off), read as a whole HTML page or as markdown (``mdx``: as MDX, where indentation
    makes no code block; by default judged from the path and the text)."""
    from konvoy_portspec.extraction.markup import is_mdx

    if is_html_page(body, path):
        from konvoy_portspec.extraction.html_reader import read_html

        return read_html(body)
    from konvoy_portspec.extraction.markdown_reader import read_markdown

    return read_markdown(body, mdx=is_mdx(body, path) if mdx is None else mdx)


def read_page(
    raw: bytes,
    path: str | None = None,
    *,
    name: str = "<input>",
    warnings: list[ExtractWarning] | None = None,
    keep_going: bool = False,
) -> tuple[dict[str, Any], list[Role], int]:
    """Front matter, roles and number of port tables of a page's bytes: the pipeline
    ``extract`` and ``scan`` share. Decoding errors name the page ``name``; other errors
    carry its path (or ``<input>``), and so do the findings added to ``warnings`` (see
    :func:`extract_text`)."""
    return _read_page([decode(raw, name)], path, warnings, keep_going)


def _read_page(
    page: list[str], path: str | None, warnings: list[ExtractWarning] | None, keep_going: bool
) -> tuple[dict[str, Any], list[Role], int]:
    """:func:`read_page` of the normalized text ``page`` holds, taken out of the list:
    when the caller holds it nowhere else, a big page is let go once it has been read
    into events, before its rows are made into rules."""
    # Imported here, like the readers: a cached scan reads no page, and the rules
    # modules compile their patterns on import.
    from konvoy_portspec.extraction.build import build_page
    from konvoy_portspec.extraction.markup import is_mdx

    name = path or "<input>"
    meta, body = split_front_matter(page.pop())
    found: list[ExtractWarning] = []
    try:
        html = is_html_page(body, path)
        mdx = not html and is_mdx(body, path)
        events = read_events(body, path, mdx)
        del body
        roles, tables = build_page(events, jsx=mdx, warnings=found, keep_going=keep_going)
    except PortSpecError as exc:
        raise exc.with_location(path=name) from None
    except RecursionError:
        raise ExtractError("page is nested too deeply to read", path=name) from None
    if warnings is not None:
        warnings.extend(w.located(name) for w in found)
    return meta, roles, tables


def product_from(meta: dict[str, Any]) -> str:
    """The product a page's front matter names, else ``konvoy``."""
    product = meta.get("product")
    return product if isinstance(product, str) else "konvoy"


def extract_text(
    text: str,
    *,
    path: str | None = None,
    release: str | None = None,
    product: str | None = None,
    sha256: str | None = None,
    warnings: list[ExtractWarning] | None = None,
    keep_going: bool = False,
) -> Spec:
    """Extract a spec from page text. ``path`` is used for messages and release guessing.

    ``warnings``, when given, receives what the page holds that did not stop it from
    being read: a port cell in prose, kept as a port-less rule. With ``keep_going``, a
    broken port cell (``70000``, ``six``) is added there as an error and its row left
    out, instead of raising :class:`ExtractError` (pass ``warnings`` to see them).
    """
    return _extract(
        [_normalized(text, path or "<input>")],
        path=path,
        release=release,
        product=product,
        sha256=sha256,
        warnings=warnings,
        keep_going=keep_going,
    )


def _extract(
    page: list[str],
    *,
    path: str | None,
    release: str | None,
    product: str | None,
    sha256: str | None,
    warnings: list[ExtractWarning] | None,
    keep_going: bool,
) -> Spec:
    """:func:`extract_text` of the normalized text ``page`` holds (see
    :func:`_read_page`)."""
    name = path or "<input>"
    digest = sha256 or _sha256(page[0].encode("utf-8"))
    meta, roles, _ = _read_page(page, path, warnings, keep_going)
    if not roles:
        raise ExtractError("no port table found (no table with a port column)", path=name)
    spec = Spec(
        release=normalize(release) if release else (release_from(meta, path) or "unknown"),
        product=product or product_from(meta),
        source=Source(os.path.basename(path) if path else "<input>", digest),
        roles=RoleMap(roles),
    )
    # The same gate as for spec files: text that arrived through entities (``&#27;``),
    # front matter or --release must be one line a spec file could hold.
    try:
        return check_spec(spec)
    except SpecFormatError as exc:
        raise ExtractError(exc.message.replace("not a valid port spec: ", ""), path=name) from None


def extract_bytes(
    raw: bytes,
    *,
    name: str = "<input>",
    path: str | None = None,
    release: str | None = None,
    product: str | None = None,
    warnings: list[ExtractWarning] | None = None,
    keep_going: bool = False,
) -> Spec:
    """Extract a spec from page bytes; the source records the sha256 of the bytes as
    they are. ``name`` is what decoding errors call the input."""
    return _extract(
        [decode(raw, name)],
        path=path,
        release=release,
        product=product,
        sha256=_sha256(raw),
        warnings=warnings,
        keep_going=keep_going,
    )


def extract_file(
    path: str | os.PathLike[str],
    *,
    release: str | None = None,
    product: str | None = None,
    source_name: str | None = None,
    warnings: list[ExtractWarning] | None = None,
    keep_going: bool = False,
    max_size: int = MAX_PAGE_SIZE,
) -> Spec:
    """Extract a spec from a page on disk; the source records its name and sha256. A
    page larger than ``max_size`` bytes is an error, not read."""
    name, raw = read_bytes(path, ExtractError, "page", limit=max_size)
    digest = _sha256(raw)
    page = [decode(raw, name)]
    del raw  # neither the bytes nor the text are held while the page is read
    spec = _extract(
        page,
        path=name,
        release=release,
        product=product,
        sha256=digest,
        warnings=warnings,
        keep_going=keep_going,
    )
    if source_name is not None and spec.source is not None:
        spec = spec.replace(source=Source(source_name, spec.source.sha256))
    return spec


def extract(
    source: str | bytes | os.PathLike[str],
    *,
    release: str | None = None,
    product: str | None = None,
    warnings: list[ExtractWarning] | None = None,
    keep_going: bool = False,
) -> Spec:
    """A page given as a path, as text, or as bytes -> spec.

    A ``str`` is taken as a path when it is one line naming an existing file, and as
    page text otherwise. ``warnings`` and ``keep_going``: see :func:`extract_text`.
    """
    options: dict[str, Any] = {
        "release": release,
        "product": product,
        "warnings": warnings,
        "keep_going": keep_going,
    }
    if isinstance(source, bytes):
        return extract_bytes(source, **options)
    if isinstance(source, os.PathLike) or (
        "\n" not in source and len(source) < 4096 and os.path.isfile(source)
    ):
        return extract_file(source, **options)
    return extract_text(source, **options)
