"""Firewall rules as the docs publish them: iptables commands in a page's code blocks.

A docs page (the Konvoy firewall-rules pages) holds its rules in code blocks, and the
paragraph or heading before each block names the role ("Control Plane nodes:",
"Worker nodes:"). The role words are read as the extractor reads role titles, so a
page and its ports table name the same roles.
"""

from __future__ import annotations

import re

from konvoy_portspec.analysis.firewall.iptables_rules import parse_rules_text
from konvoy_portspec.analysis.firewall.ruleset import FirewallRule, RuleSet, Skipped
from konvoy_portspec.extraction import release_from, split_front_matter
from konvoy_portspec.extraction.cells import clean_title, known_role, role_id_for

#: Blocks whose text titles the code block right after them (its role).
_CAPTION_BLOCKS = ("paragraph_open", "heading_open")
#: Code blocks that hold configuration, not commands.
_FENCE_LANGS_SKIPPED = {"yaml", "yml", "json", "toml", "xml"}


def _role_of_caption(text: str) -> str | None:
    """The role a paragraph before a code block names, if it names one."""
    title = clean_title(text)
    if known_role(title):
        return role_id_for(title)
    # Other roles as the extractor names them ("Etcd nodes:" -> etcd-nodes); a sentence
    # such as "Rules every node needs:" names none.
    if len(title) <= 40 and re.search(r"\bnodes?$", title, re.IGNORECASE):
        return role_id_for(title)
    return None


def parse_rules_page(text: str, *, path: str | None = None) -> RuleSet:
    """A markdown page with iptables rules in code blocks (fenced or indented).

    Each block takes its role from the paragraph (or heading) right before it;
    a block with no role before it applies to every role.
    """
    # markdown-it-py is loaded only for pages, never for a rules file.
    from konvoy_portspec.extraction.markdown_parser import parser

    meta, body = split_front_matter(text)
    tokens = parser().parse(body)
    rules: list[FirewallRule] = []
    skipped: list[Skipped] = []
    roles: list[str] = []
    caption: str | None = None
    for i, tok in enumerate(tokens):
        if tok.type == "inline" and i > 0 and tokens[i - 1].type in _CAPTION_BLOCKS:
            caption = tok.content
            continue
        if tok.type not in ("fence", "code_block"):
            continue
        lang = tok.info.strip().split()[0].lower() if tok.info.strip() else ""
        if lang in _FENCE_LANGS_SKIPPED:
            caption = None
            continue
        role = _role_of_caption(caption) if caption else None
        caption = None
        first = (tok.map[0] + 1 + (1 if tok.type == "fence" else 0)) if tok.map else 1
        block = parse_rules_text(tok.content, role=role, first_line=first, path=path)
        rules.extend(block.rules)
        skipped.extend(block.skipped)
        roles.extend(r for r in block.roles if r not in roles)
    return RuleSet(
        tuple(rules),
        tuple(roles),
        tuple(skipped),
        path,
        release_from(meta, None),
        input_format="page",
    )


def looks_like_page(text: str, path: str | None = None) -> bool:
    """Markdown pages hold their rules in code blocks; rules files are bare lines."""
    if path and path.lower().endswith((".md", ".markdown", ".mdx")):
        return True
    return re.search(r"^\s{0,3}(```|~~~)", text, re.MULTILINE) is not None
