"""The ``konvoy-ports`` and ``konvoy-ports-diff`` directives and the ``konvoy-port`` role.

Thin on purpose: parse the options, load the specs through the build's registry
(:mod:`.freshness`), record what each release name meant (so the page is re-read
exactly when that changes), and hand the model to :mod:`.nodes_builder`. Every user
mistake becomes a Sphinx warning at the directive's ``file:line`` (so ``-W`` fails the
build), never a traceback; problems with conf.py or the spec files themselves are
reported once per build, where they are, by :mod:`.freshness`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx import addnodes
from sphinx.util.docutils import SphinxDirective, SphinxRole

from konvoy_portspec.analysis.diff import diff
from konvoy_portspec.errors import PortSpecError
from konvoy_portspec.model import Spec
from konvoy_portspec.release_names import looks_like_release
from konvoy_portspec_sphinx import diff_nodes, inline
from konvoy_portspec_sphinx import nodes_builder as nb
from konvoy_portspec_sphinx.config_check import DEFAULT_RELEASE, WARNING_TYPE
from konvoy_portspec_sphinx.domain import INLINE, KonvoyDomain
from konvoy_portspec_sphinx.freshness import domain_of, registry_for
from konvoy_portspec_sphinx.registry import Registry


def _warn(owner: SphinxDirective | SphinxRole, message: str, subtype: str) -> None:
    """Bad input is a warning at the directive's or role's ``file:line`` (fatal with
    ``-W``), in this extension's own warning type."""
    from sphinx.util import logging

    logging.getLogger(__name__).warning(
        message, location=owner.get_location(), type=WARNING_TYPE, subtype=subtype
    )


class _Context:
    """What a directive or role shares: the build's registry and the page's record."""

    def __init__(self, owner: SphinxDirective | SphinxRole) -> None:
        self.env = owner.env
        self.registry: Registry = registry_for(self.env)
        self.domain = domain_of(self.env)

    def note(self, name: str) -> None:
        """Record what ``name`` means now: the page is re-read when that changes."""
        self.domain.note_use(self.env.docname, name, self.registry.fingerprint(name))

    def load(self, name: str | None) -> Spec:
        if not name:
            name = getattr(self.env.config, DEFAULT_RELEASE) or ""
            if not name:
                raise PortSpecError(f"no release given and {DEFAULT_RELEASE} is not set in conf.py")
        self.note(name)
        return self.registry.load(name)


def _claimer(document: nodes.document) -> nb.Claim:
    """Ids unique in the page: ``konvoy-v2-1-worker``, then ``konvoy-v2-1-worker-2``."""
    taken: set[str] = set()

    def claim(wanted: str) -> str:
        candidate, n = wanted, 1
        while candidate in document.ids or candidate in taken:
            n += 1
            candidate = f"{wanted}-{n}"
        taken.add(candidate)
        return candidate

    return claim


class PortsDirective(SphinxDirective):
    """``.. konvoy-ports:: v2.1``: a titled table per role of a release."""

    optional_arguments = 1
    has_content = False
    option_spec: ClassVar[dict[str, Any]] = {
        "role": directives.unchanged_required,
        "columns": directives.unchanged_required,
        "caption": directives.unchanged_required,
        "name": directives.unchanged_required,
        "class": directives.class_option,
        "no-index": directives.flag,
        "noindex": directives.flag,
    }

    def run(self) -> list[nodes.Node]:
        try:
            rendered = self._build(_Context(self), _claimer(self.state.document))
        except PortSpecError as exc:
            _warn(self, f"{self.name}: {exc}", "directive")
            return []
        result = rendered.nodes
        tables = [n for n in result if isinstance(n, nodes.table)]
        for node in result:
            if isinstance(node, nodes.Element):
                self.set_source_info(node)
        name = self.options.get("name")
        if name:
            roles = {t.anchor: t.name for t in rendered.targets if t.objtype == "role"}
            self._label(result, tables, name, roles)
        for node in result:
            if isinstance(node, nodes.Element):
                for element in node.findall(nodes.Element):
                    for node_id in element["ids"]:
                        self.state.document.ids.setdefault(node_id, element)
        if rendered.targets and not self._no_index():
            domain_of(self.env).note_targets(self.env.docname, rendered.targets)
            result = [self._index(rendered.targets), *result]
        return result

    def _no_index(self) -> bool:
        return "no-index" in self.options or "noindex" in self.options

    def _label(
        self,
        result: list[nodes.Node],
        tables: list[nodes.table],
        name: str,
        roles: dict[str, str],
    ) -> None:
        """``:name:`` labels the one table; with several, each table is ``NAME-ROLE``
        and ``NAME`` itself is the caption rubric (or, without one, the first table).

        ``roles`` maps a table's stable id to its ``release/role`` name."""
        labels: dict[int, tuple[nodes.Element, list[str]]] = {}

        def add(node: nodes.Element, label: str) -> None:
            labels.setdefault(id(node), (node, []))[1].append(label)

        rubric = next((n for n in result if isinstance(n, nodes.rubric)), None)
        if len(tables) == 1:
            add(tables[0], name)
        else:
            add(rubric if rubric is not None else tables[0], name)
            for table in tables:
                role = next((roles[i] for i in table["ids"] if i in roles), "")
                if role:
                    add(table, f"{name}-{role.split('/', 1)[1]}")
        for node, names in labels.values():
            self._add_labels(node, names)

    def _add_labels(self, node: nodes.Element, names: list[str]) -> None:
        """Reference targets on ``node``; the first name's id comes first (the anchor
        :ref: links to), before the node's stable id. One call per node: docutils
        takes a name registered twice for a duplicate."""
        stable = list(node["ids"])
        node["ids"] = []
        node["names"] += [nodes.fully_normalize_name(n) for n in names]
        self.state.document.note_explicit_target(node, node)
        node["ids"] += [i for i in stable if i not in node["ids"]]

    @staticmethod
    def _index(targets: list[nb.Target]) -> addnodes.index:
        """General index entries: ``kubelet; v2.1`` and ``10250/tcp; v2.1``."""
        entries = []
        for target in targets:
            if target.by_role or target.objtype == "role":
                continue
            release, _sep, what = target.name.partition("/")
            text = f"{what.replace(';', ',')}; {release}"
            entries.append(("single", text, target.anchor, "", None))
        index = addnodes.index(entries=entries)
        index["inline"] = False
        return index

    def _build(self, ctx: _Context, claim: nb.Claim) -> nb.Rendered:
        spec = ctx.load(self.arguments[0] if self.arguments else None)
        roles = nb.split_list(self.options.get("role")) or None
        shown = spec.select(roles).roles.ordered if roles else spec.roles.ordered
        return nb.spec_tables(
            spec,
            roles,
            nb.parse_columns(self.options.get("columns"), nb.extra_columns(shown)),
            self.options.get("caption"),
            classes=self.options.get("class", []),
            claim=claim,
        )


class PortsDiffDirective(PortsDirective):
    """``.. konvoy-ports-diff:: v2.0 v2.1``: what changed between two releases."""

    required_arguments = 2
    optional_arguments = 0
    # A diff table has fixed columns and registers no objects.
    option_spec: ClassVar[dict[str, Any]] = {
        k: v
        for k, v in PortsDirective.option_spec.items()
        if k not in ("columns", "no-index", "noindex")
    }

    def _build(self, ctx: _Context, claim: nb.Claim) -> nb.Rendered:
        old, new = ctx.load(self.arguments[0]), ctx.load(self.arguments[1])
        table = diff_nodes.diff_table(
            diff(old, new),
            nb.split_list(self.options.get("role")) or None,
            caption=self.options.get("caption"),
            classes=self.options.get("class", []),
            claim=claim,
        )
        return nb.Rendered(table)


class PortRole(SphinxRole):
    """``:konvoy-port:`kubelet```, ``:konvoy-port:`v2.1/worker/kubelet```: inline ports.

    ``release/component`` and ``release/role/component`` are explicit; a bare component
    uses ``portspec_default_release``. In a two-part target the first part is a release
    when it is one of the site's releases or reads like one (``v9.9``, ``2.1``,
    ``latest``), else a role of the default release.

    The ports come out as a literal whose hover title names the release and roles; on
    HTML sites it links to the component's row where a table on the site shows it.
    """

    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        try:
            ctx = _Context(self)
            release, role, component = self._target(ctx)
            spec = ctx.load(release)
            text = inline.component_ports(spec, component, role)
            title = inline.component_title(spec, component, role)
        except PortSpecError as exc:
            _warn(self, f"konvoy-port: {exc}", "role")
            return [nodes.problematic(self.rawtext, self.rawtext)], []
        literal = inline.port_literal(self.rawtext, text, classes=["konvoy-port"], reftitle=title)
        where = f"{spec.release}/{role}" if role else spec.release
        node = addnodes.pending_xref(
            "",
            literal,
            refdomain=KonvoyDomain.name,
            reftype="component",
            reftarget=f"{where}/{component}",
            refdoc=self.env.docname,
            refexplicit=True,
            refwarn=False,
            **{INLINE: True},
        )
        self.set_source_info(node)
        self.set_source_info(literal)
        return [node], []

    def _target(self, ctx: _Context) -> tuple[str | None, str | None, str]:
        parts = [p.strip() for p in self.text.strip().split("/")]
        if any(not p for p in parts) or len(parts) > 3:
            raise PortSpecError(
                f"bad target {self.text!r}; use COMPONENT, RELEASE/COMPONENT "
                "or RELEASE/ROLE/COMPONENT"
            )
        if len(parts) == 3:
            return parts[0], parts[1], parts[2]
        if len(parts) == 2:
            ctx.note(parts[0])  # a release of that name may appear later
            if looks_like_release(parts[0]) or ctx.registry.fingerprint(parts[0]) is not None:
                return parts[0], None, parts[1]
            return None, parts[0], parts[1]
        return None, None, parts[0]
