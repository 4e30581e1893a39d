"""Each escape function against the reader of its own syntax: for any string (newlines,
quotes, control characters, markup), the escaped form reads back as exactly one value
holding the text, as far as the target can hold it. Readers: shlex, bash and sh,
nft (when it can run) and a reader of nft's quoted-string grammar, xml.etree and
minidom, PyYAML, markdown-it, html.parser."""

from __future__ import annotations

import functools
import re
import shlex
import shutil
import subprocess
import unicodedata
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from xml.dom import minidom

import pytest
import yaml
from hypothesis import example, given
from hypothesis import strategies as st

from konvoy_portspec.output.escape import (
    csv_cell,
    html_text,
    iptables_comment,
    line_comment,
    markdown_cell,
    nft_string,
    one_line,
    restore_word,
    shell_word,
    terminal_text,
    xml_attr,
    xml_comment,
    xml_text,
    yaml_scalar,
)

#: Characters that break one syntax or another, drawn often next to any character.
TRICKY = (
    "\n\r\t\x00\x01\x1b\x7f\x85\x9b\u2028\u2029\ufeff\ufffe\uffff\u202e \"'\\$`!#;&|<>*_[]-=+@%{}:"
)
TEXT = st.text(st.one_of(st.characters(), st.sampled_from(TRICKY)), max_size=40)
HOSTILE = [
    "v9.9\ntouch /tmp/x #",
    "v9.9\nflush ruleset #",
    "a\r\nb",
    "\x1b[31mred\x1b[0m",
    'it\'s "quoted" $HOME `id` \\ !',
    "-- end -->",
    "<script>&amp;</script>",
    "=1+2",
    "lone \ud800 surrogate",
    "",
]

#: What XML and YAML cannot hold raw (what the escape functions drop or escape).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def hostile(arity: int = 1):
    """Every hostile string as an explicit example, in each of ``arity`` arguments."""

    def add(test):
        for text in HOSTILE:
            test = example(*[text] * arity)(test)
        return test

    return add


# --- shell words and the iptables comment --------------------------------------------


@functools.cache
def _shells() -> tuple[str, ...]:
    return tuple(s for s in ("bash", "sh") if shutil.which(s))


@given(st.lists(TEXT, min_size=1, max_size=4))
@example(HOSTILE)
@example(["\ud800", "a\udfffb"])
def test_shell_word_is_one_word_for_shlex_bash_and_sh(texts: list[str]) -> None:
    words = [shell_word(t) for t in texts]
    want = [re.sub("[\x00\ud800-\udfff]", "", t) for t in texts]  # what no argument holds
    assert shlex.split(" ".join(words)) == want
    script = "printf '%s\\0' " + " ".join(words) + "\n"
    for shell in _shells():
        check = subprocess.run([shell, "-n"], input=script.encode(), capture_output=True)
        assert check.returncode == 0, check.stderr
        out = subprocess.run([shell], input=script.encode(), capture_output=True, check=True)
        assert out.stdout.split(b"\0")[:-1] == [w.encode() for w in want]


@given(TEXT)
@hostile()
def test_iptables_comment_is_one_argument_on_one_line(text: str) -> None:
    word = iptables_comment(text)
    line = f"iptables -A INPUT -p tcp --dport 22 -m comment --comment {word} -j ACCEPT"
    assert "\n" not in line and "\r" not in line
    tokens = shlex.split(line)
    assert tokens[-2:] == ["-j", "ACCEPT"] and len(tokens) == 13
    comment = tokens[10]
    assert len(comment.encode()) <= 255
    flat = one_line(text)
    if len(flat.encode()) <= 255:
        assert comment == flat  # intact, but for line breaks and control characters
    else:
        assert comment.endswith("…") and flat.startswith(comment[:-1])


def test_iptables_comment_keeps_what_iptables_can_hold():
    assert iptables_comment("kube-apiserver") == '"kube-apiserver"'
    assert iptables_comment('say "hi"') == '"say \\"hi\\""'
    assert iptables_comment("$HOME") == "'$HOME'"
    assert iptables_comment("a\nb\x1b[2J") == '"a b[2J"'


# --- iptables-restore ----------------------------------------------------------------


def read_restore_words(line: str) -> list[str]:
    """Split one ``iptables-restore`` line into its words, as the restore parser does
    (written from iptables' xshared.c ``add_param_to_argv``): words end at unquoted
    spaces or tabs; ``"`` starts and ends a quoted part; inside one, a backslash makes the
    next character literal. The line may not break."""
    assert "\n" not in line and "\r" not in line
    words: list[str] = []
    word: list[str] = []
    quoted = escaped = started = False
    for char in line:
        if escaped:
            word.append(char)
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted, started = not quoted, True
        elif char in " \t" and not quoted:
            if word or started:
                words.append("".join(word))
            word, started = [], False
        else:
            word.append(char)
    assert not quoted and not escaped, "unterminated quote"
    if word or started:
        words.append("".join(word))
    return words


@given(TEXT)
def test_restore_word_is_one_argument_with_the_text_intact(text: str) -> None:
    word = restore_word(text)
    line = f"-A KONVOY-WORKER -p tcp -m tcp --dport 22 -m comment --comment {word} -j ACCEPT"
    words = read_restore_words(line)
    assert words[-2:] == ["-j", "ACCEPT"] and len(words) == 14
    comment = words[11]
    assert len(comment.encode()) <= 255
    flat = one_line(text)
    if len(flat.encode()) <= 255:
        assert comment == flat
    else:
        assert comment.endswith("…") and flat.startswith(comment[:-1])


def test_restore_word_quotes_as_iptables_save_does():
    assert restore_word("kube-apiserver") == '"kube-apiserver"'
    assert restore_word('say "hi" \\ bye') == '"say \\"hi\\" \\\\ bye"'
    assert restore_word("a\nb") == '"a b"'


# --- nft -----------------------------------------------------------------------------


def read_nft_string(text: str) -> tuple[str, str]:
    """A quoted string at the start of ``text`` as nft's scanner reads it (a double
    quote, anything but a double quote, a double quote; nft has no escapes) and the
    rest of the line. Stricter than nft: the string may not span lines."""
    if not text.startswith('"'):
        raise ValueError("not a quoted string")
    end = text.index('"', 1)
    value = text[1:end]
    if "\n" in value or "\r" in value:
        raise ValueError("a quoted string across lines")
    return value, text[end + 1 :]


@functools.cache
def _nft() -> str | None:
    path = shutil.which("nft") or shutil.which("/usr/sbin/nft")
    if path is None:
        return None
    probe = subprocess.run(
        [path, "-c", "-f", "-"], input="table inet t { }\n", capture_output=True, text=True
    )
    return path if probe.returncode == 0 else None


@given(TEXT)
@hostile()
def test_nft_string_reads_back_as_one_string(text: str) -> None:
    quoted = nft_string(text)
    value, rest = read_nft_string(quoted + " # after")
    assert rest == " # after"
    assert len(value.encode()) <= 127
    assert not NOT_XML.search(value)
    flat = line_comment(text).replace('"', "'").replace("\\", "/")
    if len(flat.encode()) <= 127:
        assert value == flat
    else:
        assert value.endswith("…") and flat.startswith(value[:-1])
    nft = _nft()
    if nft is not None:
        ruleset = (
            "table inet t {\n\tchain c {\n"
            f"\t\t# {line_comment(text)}\n"
            f"\t\ttcp dport 22 accept comment {quoted}\n\t}}\n}}\n"
        )
        proc = subprocess.run([nft, "-c", "-f", "-"], input=ruleset, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr


def test_the_nft_reader_is_not_a_rubber_stamp():
    with pytest.raises(ValueError):
        read_nft_string('"a\nb"')
    assert read_nft_string('"a" b"') == ("a", ' b"')  # a raw quote would end the string


# --- XML -----------------------------------------------------------------------------


@given(TEXT, TEXT, TEXT)
@hostile(3)
def test_xml_text_attribute_and_comment_parse_back(text: str, attr: str, note: str) -> None:
    doc = f"<e a={xml_attr(attr)}><!-- {xml_comment(note)} -->{xml_text(text)}</e>"
    root = ET.fromstring(doc.encode("utf-8"))
    assert (root.text or "") == NOT_XML.sub("", text)
    assert root.get("a") == NOT_XML.sub("", attr)
    dom = minidom.parseString(doc.encode("utf-8")).documentElement
    comment, *data = dom.childNodes
    assert comment.nodeType == comment.COMMENT_NODE
    assert "\n" not in comment.data
    assert "".join(d.data for d in data) == NOT_XML.sub("", text)
    assert dom.getAttribute("a") == NOT_XML.sub("", attr)


# --- YAML ----------------------------------------------------------------------------


@given(TEXT, TEXT)
@hostile(2)
def test_yaml_scalar_and_comment_read_back(text: str, note: str) -> None:
    scalar = yaml_scalar(text)
    assert "\n" not in scalar and not NOT_XML.search(scalar)
    doc = f"a: {scalar}  {line_comment('# ' + note)}\nb: 1\n"
    assert yaml.safe_load(doc) == {"a": text, "b": 1}  # every character intact


def test_yaml_scalar_is_plain_json_for_plain_text():
    assert yaml_scalar("v2.1") == '"v2.1"'
    assert yaml_scalar("é → ü") == '"é → ü"'
    assert yaml_scalar('a"b\\c\n') == '"a\\"b\\\\c\\x0a"'


# --- CSV cells, markdown, HTML, the terminal -----------------------------------------


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("kube-apiserver", "kube-apiserver"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_csv_cell_neutralises_formulas(text, cell):
    assert csv_cell(text) == cell


def _markdown_cells(source: str) -> list[list[str]]:
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark").enable("table")
    rows: list[list[str]] = []
    for token in md.parse(source):
        if token.type == "tr_open":
            rows.append([])
        elif token.type == "inline" and rows:
            rows[-1].append("".join(child.content for child in token.children or ()))
    return rows


@given(TEXT)
@hostile()
def test_markdown_cell_is_one_cell_of_literal_text(text: str) -> None:
    source = f"| a | b |\n|---|---|\n| {markdown_cell(text)} | z |\n"
    assert _markdown_cells(source) == [["a", "b"], [one_line(text), "z"]]


class _Texts(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.data: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += attrs

    def handle_data(self, data: str) -> None:
        self.data.append(data)


@given(TEXT)
@hostile()
def test_html_text_is_text_and_attribute_value(text: str) -> None:
    parser = _Texts()
    parser.feed(f'<td title="{html_text(text)}">{html_text(text)}</td>')
    parser.close()
    want = re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]", "", text)
    assert parser.tags == ["td"]
    assert parser.attrs == [("title", want)]
    assert "".join(parser.data) == want


@given(TEXT)
@hostile()
def test_terminal_text_is_one_line_without_controls(text: str) -> None:
    shown = terminal_text(text)
    assert not any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in shown)
    assert not re.search("[\u202a-\u202e\u2066-\u2069]", shown)
    if text.isprintable():
        assert shown == text


def test_terminal_text_shows_escapes():
    assert terminal_text("\x1b[31mred\x1b[0m\nnext") == "\\x1b[31mred\\x1b[0m next"
    assert terminal_text("abc\u202edef") == "abc\\u202edef"


def test_spec_views_keep_untrusted_text_in_its_place():
    from konvoy_portspec.model import Role, Rule, Spec
    from konvoy_portspec.output.tables import render_html, render_markdown, render_table

    spec = Spec(
        "v9.9\n---\nrelease: evil",
        [Role("w", "Workers\x1b[2J\n## injected", (Rule.single(22, "tcp", "ssh\r\n| 1 |"),))],
        product="konvoy\x1b]0;t\x07",
    )
    table = render_table(spec)
    assert not any(unicodedata.category(ch) == "Cc" for ch in table.replace("\n", ""))
    assert len(table.splitlines()) == 6  # title, blank, role, header, dashes, the rule
    markdown = render_markdown(spec)
    assert yaml.safe_load(markdown.split("---\n")[1])["release"] == spec.release
    assert not any(ln.startswith(("## injected", "| 1 |")) for ln in markdown.splitlines())
    assert "<h2>Workers[2J\n## injected</h2>" in render_html(spec)
