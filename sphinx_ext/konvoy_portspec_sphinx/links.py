"""Inline ports: a hover title, and a link to the component's row.

The ``konvoy-port`` role emits a :class:`~.inline.port_literal` inside a
``pending_xref`` to the ``konvoy`` domain's component, so Sphinx resolves it once every
page is read, like any cross-reference: it links to the row of the table on the site
that shows the component (:meth:`.KonvoyDomain.resolve_xref`; builders other than HTML
link to that page, since only HTML anchors rows), and the HTML visitor writes the
literal's ``reftitle`` as the ``title`` of its ``<code>``. A component that no table on
the site shows stays an unlinked literal: that is a normal page, not a mistake, so
:func:`keep_unlinked` answers Sphinx's ``missing-reference`` for it (no warning, even
with ``nitpicky``). Other builders write the literal as the ``nodes.literal`` it
subclasses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from konvoy_portspec_sphinx.domain import INLINE, KonvoyDomain
from konvoy_portspec_sphinx.inline import port_literal

if TYPE_CHECKING:
    from docutils import nodes
    from sphinx.addnodes import pending_xref
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment


def keep_unlinked(
    app: Sphinx, env: BuildEnvironment, node: pending_xref, contnode: nodes.TextElement
) -> nodes.Node | None:
    """``missing-reference``: an inline port without a table stays a plain literal."""
    if node.get("refdomain") == KonvoyDomain.name and node.get(INLINE):
        return contnode
    return None


def visit_port_literal_html(translator: Any, node: port_literal) -> None:
    """``<code class="docutils literal notranslate konvoy-port" title="...">``."""
    translator.body.append(
        translator.starttag(
            node, "code", "", CLASS="docutils literal notranslate", title=node.get("reftitle", "")
        )
    )
    translator.protect_literal_text += 1


def depart_port_literal_html(translator: Any, node: port_literal) -> None:
    translator.protect_literal_text -= 1
    translator.body.append("</code>")
