"""The ``konvoy-ports`` and ``konvoy-ports-diff`` directives and the ``konvoy-port`` role.

Thin on purpose: parse the options, load the specs through the build's registry,
register the spec files as dependencies of the page, and hand the model to
:mod:`.nodes_builder`. Every user mistake becomes a Sphinx warning at the directive's
``file:line`` (so ``-W`` fails the build), never a traceback.
"""

from __future__ import annotations

from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective, SphinxRole

from konvoy_portspec.errors import PortSpecError
from konvoy_portspec.model import Spec
from konvoy_portspec_sphinx import nodes_builder
from konvoy_portspec_sphinx.registry import Registry, build_registry, confdir_of, memo_for

logger = logging.getLogger(__name__)

WARNING_TYPE = "portspec"


def _warn(owner: SphinxDirective | SphinxRole, message: str, subtype: str) -> None:
    """Bad input is a warning at the directive's or role's ``file:line`` (fatal with
    ``-W``), in this extension's own warning type."""
    logger.warning(message, location=owner.get_location(), type=WARNING_TYPE, subtype=subtype)


class _Context:
    """What a directive or role shares: the registry, dependencies, and warnings."""

    def __init__(self, owner: SphinxDirective | SphinxRole) -> None:
        self.owner = owner
        self.env = owner.env
        memo = memo_for(self.env)
        config = self.env.config
        self.registry: Registry = build_registry(
            memo,
            list(config.portspec_spec_paths or []),
            confdir_of(config, str(self.env.srcdir)),
        )
        for path in self.registry.user_files:
            self.env.note_dependency(path)
        for problem in self.registry.problems:
            key = (self.env.docname, str(problem))
            if key not in memo.reported:
                memo.reported.add(key)
                self.warn(f"bad user spec: {problem}", "spec")

    def warn(self, message: str, subtype: str) -> None:
        _warn(self.owner, message, subtype)

    def load(self, name: str | None) -> Spec:
        if not name:
            name = self.env.config.portspec_default_release or ""
            if not name:
                raise PortSpecError(
                    "no release given and portspec_default_release is not set in conf.py"
                )
        spec, files = self.registry.load(name)
        for path in files:
            self.env.note_dependency(path)
        return spec


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
    }

    def run(self) -> list[nodes.Node]:
        try:
            result = self._build(_Context(self))
        except PortSpecError as exc:
            _warn(self, f"{self.name}: {exc}", "directive")
            return []
        for node in result:
            if isinstance(node, nodes.Element):
                self.set_source_info(node)
        first_table = next((n for n in result if isinstance(n, nodes.table)), None)
        if first_table is not None:
            self.add_name(first_table)
        return result

    def _build(self, ctx: _Context) -> list[nodes.Node]:
        spec = ctx.load(self.arguments[0] if self.arguments else None)
        return nodes_builder.spec_tables(
            spec,
            nodes_builder.split_list(self.options.get("role")) or None,
            nodes_builder.parse_columns(self.options.get("columns")),
            self.options.get("caption"),
            classes=self.options.get("class", []),
        )


class PortsDiffDirective(PortsDirective):
    """``.. konvoy-ports-diff:: v2.0 v2.1``: what changed between two releases."""

    required_arguments = 2
    optional_arguments = 0
    # A diff table has fixed columns; every other option is the tables' own.
    option_spec: ClassVar[dict[str, Any]] = {
        k: v for k, v in PortsDirective.option_spec.items() if k != "columns"
    }

    def _build(self, ctx: _Context) -> list[nodes.Node]:
        from konvoy_portspec.analysis.diff import diff

        old, new = ctx.load(self.arguments[0]), ctx.load(self.arguments[1])
        return nodes_builder.diff_table(
            diff(old, new),
            nodes_builder.split_list(self.options.get("role")) or None,
            caption=self.options.get("caption"),
            classes=self.options.get("class", []),
        )


class PortRole(SphinxRole):
    """``:konvoy-port:`kubelet```, ``:konvoy-port:`v2.1/worker/kubelet```: inline ports.

    ``release/component`` and ``release/role/component`` are explicit; a bare component
    uses ``portspec_default_release``. A two-part target whose first part is not a
    release is read as ``role/component`` in the default release.
    """

    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        try:
            ctx = _Context(self)
            release, role, component = self._target(ctx)
            spec = ctx.load(release)
            text = nodes_builder.component_ports(spec, component, role)
        except PortSpecError as exc:
            _warn(self, f"konvoy-port: {exc}", "role")
            return [nodes.problematic(self.rawtext, self.rawtext)], []
        node = nodes.inline("", "", nodes.Text(text), classes=["konvoy-port"])
        self.set_source_info(node)
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
            try:
                ctx.registry.resolve(parts[0])
            except PortSpecError:
                return None, parts[0], parts[1]
            return parts[0], None, parts[1]
        return None, None, parts[0]
