"""The ``konvoy-port`` role's text: a component's ports, and what its hover title says.

Pure functions of the model, like :mod:`.nodes_builder`; :class:`port_literal` is the
node the role emits (see :mod:`.links` for how it is linked and written).
"""

from __future__ import annotations

from docutils import nodes

from konvoy_portspec.model import Rule, Spec
from konvoy_portspec_sphinx.nodes_builder import OptionError


def component_rules(spec: Spec, component: str, role: str | None = None) -> list[Rule]:
    """A component's rules (in ``role``, or across roles), in document order."""
    if role is not None:
        found = spec.role(role).for_component(component)
    else:
        found = [rule for _r, rule in spec.for_component(component)]
    if not found:
        where = f"{spec.release}/{role}" if role else spec.release
        raise OptionError(f"no component {component!r} in {where}")
    return found


def component_ports(spec: Spec, component: str, role: str | None = None) -> str:
    """A component's ports as inline text: unique across roles, in document order."""
    found = component_rules(spec, component, role)
    return ", ".join(dict.fromkeys(rule.where for rule in found))


def component_title(spec: Spec, component: str, role: str | None = None) -> str:
    """``v2.1, Worker nodes: kubelet``: what a reader sees on hover over inline ports."""
    rules = component_rules(spec, component, role)
    roles = [role] if role else [r.id for r in spec.roles.ordered if r.for_component(component)]
    titles = ", ".join(spec.roles[r].title for r in roles)
    return f"{spec.release}, {titles}: {rules[0].component}"


class port_literal(nodes.literal):
    """Inline ports from the ``konvoy-port`` role: a literal with a hover title
    (``reftitle``), linked to its table row where the site has one. Builders without a
    visitor of their own write it as a literal. (Lower case, like docutils' nodes.)"""
