"""Sphinx extension: embed Konvoy port tables from the spec instead of copying them.

In ``conf.py``::

    extensions = ["konvoy_portspec_sphinx"]
    portspec_default_release = "v2.1"      # optional
    portspec_spec_paths = ["ports/"]       # optional: extra or overriding spec files

then ``.. konvoy-ports:: v2.1``, ``.. konvoy-ports-diff:: v2.0 v2.1`` and
``:konvoy-port:`kubelet``` in reST or MyST pages.

Works with every Sphinx that ``pyproject.toml`` allows (``sphinx>=7.2``): calls that
newer Sphinx added are made only where they exist, and ``scripts/sphinx_matrix.py``
runs the extension's tests on the declared floor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from konvoy_portspec import __version__

if TYPE_CHECKING:
    from sphinx.application import Sphinx

__all__ = ["__version__", "setup"]

#: Bumped when what the extension stores in the environment changes shape: Sphinx then
#: re-reads every page instead of unpickling records it would misread.
ENV_VERSION = 2

#: (name, default, types, description) of each config value.
_CONFIG: tuple[tuple[str, Any, frozenset[type], str], ...] = (
    (
        "portspec_default_release",
        "",
        frozenset({str}),
        "release shown by konvoy-ports and konvoy-port when none is named",
    ),
    (
        "portspec_spec_paths",
        [],
        frozenset({list, tuple}),
        "spec JSON files or folders of them (relative to conf.py) that add or override releases",
    ),
)


def _add_config_values(app: Sphinx) -> None:
    """The config values; ``description=`` only where Sphinx has it (7.4 and later)."""
    import sphinx

    describe = sphinx.version_info[:2] >= (7, 4)
    for name, default, types, description in _CONFIG:
        if describe:
            app.add_config_value(name, default, "env", types=types, description=description)
        else:
            app.add_config_value(name, default, "env", types=types)


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the config values, directives, role, domain and event handlers."""
    from konvoy_portspec_sphinx import config_check, freshness, links, messages
    from konvoy_portspec_sphinx.directives import PortRole, PortsDiffDirective, PortsDirective
    from konvoy_portspec_sphinx.domain import KonvoyDomain
    from konvoy_portspec_sphinx.inline import port_literal

    _add_config_values(app)
    app.add_message_catalog(messages.CATALOG, messages.LOCALE_DIR)
    app.add_domain(KonvoyDomain)
    app.add_directive("konvoy-ports", PortsDirective)
    app.add_directive("konvoy-ports-diff", PortsDiffDirective)
    app.add_role("konvoy-port", PortRole())
    app.add_node(port_literal, html=(links.visit_port_literal_html, links.depart_port_literal_html))
    app.connect("missing-reference", links.keep_unlinked, priority=900)  # after intersphinx
    # before Sphinx's own type check (priority 800), which then sees coerced values
    app.connect("config-inited", config_check.check_config, priority=400)
    app.connect("config-inited", freshness.remember_confdir)
    app.connect("env-get-outdated", freshness.on_env_get_outdated)
    return {
        "version": __version__,
        "env_version": ENV_VERSION,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
