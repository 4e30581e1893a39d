"""One escape function per target syntax: the only way text from a spec reaches output.

Release, product, role ids and titles, components and notes come from docs pages and
spec files, so they may hold newlines, quotes, control characters and markup. Every
writer in :mod:`konvoy_portspec.output` passes such text through the function of the
syntax it writes, never through ad-hoc ``replace`` calls, so each syntax has one place
that decides what it can hold:

==========================  ==================================================  ======
function                    target                                              keeps
==========================  ==================================================  ======
:func:`line_comment`        ``#`` comment lines (shell, nft, YAML)              one line
:func:`shell_word`          one POSIX shell word (``sh``, ``bash``, shlex)      all it can
:func:`iptables_comment`    ``--comment`` value, as a shell word                one line
:func:`nft_string`          an nft quoted string (``comment "..."``)            one line
:func:`xml_text`            XML character data                                  all XML can
:func:`xml_attr`            a quoted XML attribute value                        all XML can
:func:`xml_comment`         ``<!-- ... -->`` contents                           one line
:func:`yaml_scalar`         a YAML double-quoted scalar                         everything
:func:`csv_cell`            a text cell of a CSV file (formula injection)       everything
:func:`markdown_cell`       a markdown table cell or heading                    one line
:func:`html_text`           HTML text or a quoted attribute value               all HTML can
:func:`terminal_text`       text printed on a terminal                          one line
==========================  ==================================================  ======

"One line" means a line break can never start a new line (a command, a rule, a YAML
key) in the output: it becomes a space. Control characters are dropped where the
target cannot hold them and escaped where it can say them (YAML, the terminal). Nothing
here writes reStructuredText (the Sphinx extension builds docutils nodes).

Only :mod:`re` is imported: the diff views use this module on the CLI's start path.
"""

from __future__ import annotations

import re

# The patterns are strings, compiled by :mod:`re` (and cached there) on first use: the
# diff views import this module on the CLI's start path, where compiling every pattern
# up front would cost more than the diff itself.

#: Control characters (C0 except tab, LF and CR; DEL; C1) and lone surrogates: no output
#: carries them raw. XML 1.0 forbids the C0 ones, YAML all, UTF-8 cannot encode a lone
#: surrogate, and on a terminal they are escape sequences.
_CONTROL = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]"
#: What XML and YAML cannot hold anywhere: the above and the non-characters U+FFFE/U+FFFF
#: (tab, LF and CR are kept; :func:`xml_attr` writes them as references).
_NOT_XML = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]"
#: What a terminal must not be handed raw: controls, line and paragraph separators, and
#: the bidirectional overrides that reorder what is shown ("Trojan Source").
_TERMINAL = (
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
    "\ud800-\udfff\ufeff\ufffe\uffff]"
)
#: What a YAML double-quoted scalar cannot hold raw, so it is ``\\x``-escaped: all outside
#: PyYAML's printable set, and what YAML reads as a line break or a byte order mark.
_YAML_ESCAPED = "[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]"
#: Characters that carry meaning in a CommonMark/GFM table cell; all are escapable.
_MARKDOWN_SPECIAL = r"([\\`*_\[\]<>|&~!#$])"
#: What no command-line argument can hold: NUL ends a C string, a lone surrogate has no
#: UTF-8 bytes.
_NO_ARGUMENT = "[\x00\ud800-\udfff]"
#: Characters a shell expands inside double quotes (``!``: history, interactive shells).
_SHELL_EXPANDS = r"[$`\\!]"
#: Leading characters that make a spreadsheet read a cell as a formula (OWASP).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

#: iptables' comment match takes at most 256 bytes with the terminating NUL.
IPTABLES_MAX_COMMENT = 255
#: nft keeps at most 128 bytes of a comment with the terminating NUL.
NFT_MAX_COMMENT = 127


def one_line(text: str) -> str:
    """``text`` on one line: every whitespace run (newlines, tabs, Unicode line
    separators) one space, control characters dropped, ends stripped."""
    if text.isprintable():  # the common case, without a regular expression
        return " ".join(text.split())
    words = (re.sub(_CONTROL, "", word) for word in text.split())
    return " ".join(word for word in words if word)


def fit_bytes(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes, marked with an ellipsis if cut."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode("utf-8", "ignore") + "…"


def line_comment(text: str) -> str:
    """Text for the rest of a ``#`` comment line in a shell script, an nft ruleset or
    YAML: a newline in ``text`` would end the comment and start a command (and YAML
    holds no U+FFFE/U+FFFF even in a comment). A trailing backslash gets `` #`` after
    it: readers that join continued lines (ours for rules files) would otherwise read
    the next line as part of the comment."""
    text = re.sub(_NOT_XML, "", one_line(text))
    return text + " #" if text.endswith("\\") else text


def shell_word(text: str) -> str:
    """One shell word that ``sh``, ``bash`` and :func:`shlex.split` read back as ``text``.

    Double quotes like the Konvoy pages; single quotes when the text holds what a shell
    expands inside double quotes (``$``, backquote, ``\\``, ``!``). What no argument can
    hold is dropped (a NUL; a lone surrogate, which has no bytes); newlines stay (quoted,
    they are part of the word).
    """
    text = re.sub(_NO_ARGUMENT, "", text)
    if re.search(_SHELL_EXPANDS, text):
        return "'" + text.replace("'", "'\"'\"'") + "'"
    return '"' + text.replace('"', '\\"') + '"'


def iptables_comment(text: str) -> str:
    """The shell word for ``-m comment --comment``: one line, at most the 255 bytes
    iptables accepts."""
    return shell_word(fit_bytes(one_line(text), IPTABLES_MAX_COMMENT))


def restore_word(text: str) -> str:
    """One argument of an ``iptables-restore`` line, as ``iptables-save`` quotes it: in
    double quotes, with ``\\`` and ``"`` escaped by a backslash (the restore parser
    knows no single quotes and expands nothing). One line, at most the 255 bytes
    iptables accepts in a comment."""
    text = fit_bytes(one_line(text), IPTABLES_MAX_COMMENT)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def nft_string(text: str) -> str:
    """An nft quoted string, quotes included. nft's strings have no escapes, so double
    quotes become single ones and backslashes slashes; comments hold 127 bytes."""
    text = line_comment(text).replace('"', "'").replace("\\", "/")
    return f'"{fit_bytes(text, NFT_MAX_COMMENT)}"'


def xml_text(text: str) -> str:
    """XML character data. CR is written as a reference, since a parser turns a raw one
    into LF; characters XML 1.0 cannot hold at all are dropped."""
    text = re.sub(_NOT_XML, "", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("\r", "&#13;")


def xml_attr(text: str) -> str:
    """A double-quoted XML attribute value, quotes included; tab, LF and CR are written
    as references, since a parser turns raw ones into spaces."""
    text = xml_text(text).replace('"', "&quot;")
    return '"' + text.replace("\t", "&#9;").replace("\n", "&#10;") + '"'


def xml_comment(text: str) -> str:
    """Text that may stand in an XML comment: one line, no ``--``, no trailing ``-``."""
    text = re.sub(r"-(?=-)", "- ", line_comment(text))
    return text + " " if text.endswith("-") else text


def _yaml_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def yaml_scalar(text: str) -> str:
    """A YAML double-quoted scalar, quotes included, on one line: any string, control
    characters and line breaks written as ``\\x``/``\\u`` escapes."""
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + re.sub(_YAML_ESCAPED, _yaml_escape, text) + '"'


def csv_cell(text: str) -> str:
    """A text cell of a CSV file: a leading ``=``, ``+``, ``-``, ``@``, tab or CR gets a
    single quote before it, so a spreadsheet shows the text instead of running it as a
    formula (OWASP's advice). Quoting is :mod:`csv`'s job; numeric cells are not text."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def markdown_cell(text: str) -> str:
    """Text of a markdown table cell or heading: one line, every character that is
    markup in CommonMark/GFM backslash-escaped, so it reads back as the same text."""
    return re.sub(_MARKDOWN_SPECIAL, r"\\\1", one_line(text))


def html_text(text: str) -> str:
    """HTML text or a quoted attribute value (what :func:`html.escape` writes), without
    the control characters HTML does not allow."""
    text = re.sub(_CONTROL, "", text).replace("&", "&amp;").replace("<", "&lt;")
    return text.replace(">", "&gt;").replace('"', "&quot;").replace("'", "&#x27;")


def _terminal_escape(match: re.Match[str]) -> str:
    char = match.group()
    if char.isspace():
        return " "
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_text(text: str) -> str:
    """Text for a terminal, on one line: line breaks and tabs become spaces; control
    characters (``ESC`` would start a terminal escape sequence) and bidirectional
    overrides are shown as ``\\x1b``/``\\u202e``."""
    if text.isprintable():  # the common case, without a regular expression
        return text
    return re.sub(_TERMINAL, _terminal_escape, text)
