"""The ``konvoy`` domain: the site's port tables as objects to link to and index.

Each ``konvoy-ports`` table (unless ``:no-index:``) registers its role
(``v2.1/worker``), components (``v2.1/kubelet``, ``v2.1/worker/kubelet``) and ports
(``v2.1/10250/tcp``, ``v2.1/worker/10250/tcp``). They go into ``objects.inv``, so
another site links to them with intersphinx (``:konvoy:component:`v2.1/kubelet```), and
the inline ``konvoy-port`` role links to its row. When two pages show the same table,
a page showing every role of the release wins (in one directive or several), then the
page whose name sorts first, whatever the order of reading; ``:no-index:`` keeps a
table out altogether.

The domain also keeps, per page, what each release name it used meant when it was read
(``uses``): domain data is what Sphinx pickles with the environment, clears when a page
is re-read and merges back from parallel readers, which is exactly the life of that
record. :mod:`.freshness` compares it with the specs of the next build.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Set
from typing import TYPE_CHECKING, Any, ClassVar

from docutils import nodes
from sphinx.domains import Domain, ObjType
from sphinx.roles import XRefRole
from sphinx.util.nodes import make_refnode

from konvoy_portspec.release_names import normalize
from konvoy_portspec_sphinx.messages import _
from konvoy_portspec_sphinx.nodes_builder import Target

if TYPE_CHECKING:
    from docutils.nodes import Element
    from sphinx.addnodes import pending_xref
    from sphinx.builders import Builder
    from sphinx.environment import BuildEnvironment

    from konvoy_portspec_sphinx.registry import Fingerprint

#: Marks the pending_xref of an inline ``konvoy-port`` (not an author's cross-reference).
INLINE = "konvoy_inline"
#: One registered object: (objtype, name, anchor, release, role title, by role,
#: how many roles the release has).
_Entry = tuple[str, str, str, str, str, bool, int]
#: The winning (docname, entry) per (objtype, lookup key).
_Index = dict[tuple[str, str], tuple[str, _Entry]]


def lookup_key(name: str) -> str:
    """``v2.1/Kubelet`` and ``2.1/kubelet`` find the same object."""
    release, sep, rest = name.strip().partition("/")
    return f"{normalize(release)}{sep}{rest}".casefold()


class KonvoyDomain(Domain):
    """Objects: ``role`` (a table), ``component`` and ``port`` (rows)."""

    name = "konvoy"
    label = "Konvoy ports"
    object_types: ClassVar[dict[str, ObjType]] = {
        "role": ObjType(_("node role"), "role"),
        "component": ObjType(_("component"), "component"),
        "port": ObjType(_("port"), "port"),
    }
    roles: ClassVar[dict[str, Any]] = {
        "role": XRefRole(),
        "component": XRefRole(),
        "port": XRefRole(),
    }
    initial_data: ClassVar[dict[str, Any]] = {"objects": {}, "uses": {}}
    data_version = 1

    _index_cache: _Index | None = None

    @property
    def objects(self) -> dict[str, list[_Entry]]:
        """Registered objects per page, in the page's order."""
        result: dict[str, list[_Entry]] = self.data.setdefault("objects", {})
        return result

    @property
    def uses(self) -> dict[str, dict[str, Fingerprint]]:
        """Per page: release name -> what it meant when the page was read."""
        result: dict[str, dict[str, Fingerprint]] = self.data.setdefault("uses", {})
        return result

    # --- recording, while a page is read ------------------------------------------

    def note_targets(self, docname: str, targets: Iterable[Target]) -> None:
        entries = self.objects.setdefault(docname, [])
        entries += [
            (t.objtype, t.name, t.anchor, t.release, t.role_title, t.by_role, t.release_roles)
            for t in targets
        ]
        self._index_cache = None

    def note_use(self, docname: str, name: str, fingerprint: Fingerprint) -> None:
        self.uses.setdefault(docname, {})[name] = fingerprint

    def stale_docs(self, fingerprint: Callable[[str], Fingerprint]) -> list[str]:
        """Pages that used a release name whose meaning is not what they recorded."""
        now: dict[str, Fingerprint] = {}  # each name looked up once, however many pages

        def means(name: str) -> Fingerprint:
            if name not in now:
                now[name] = fingerprint(name)
            return now[name]

        return sorted(
            docname
            for docname, used in self.uses.items()
            if any(means(name) != before for name, before in used.items())
        )

    # --- Sphinx's hooks ------------------------------------------------------------

    def clear_doc(self, docname: str) -> None:
        self.objects.pop(docname, None)
        self.uses.pop(docname, None)
        self._index_cache = None

    def merge_domaindata(self, docnames: Set[str], otherdata: dict[str, Any]) -> None:
        for key in ("objects", "uses"):
            mine = self.data.setdefault(key, {})
            for docname, value in otherdata.get(key, {}).items():
                if docname in docnames:
                    mine[docname] = value
        self._index_cache = None

    def _index(self) -> _Index:
        if self._index_cache is None:
            # pages that show every role of the release first (a release page beats
            # an excerpt), then by page name: the same winner in any reading order
            shown: dict[tuple[str, str], set[str]] = {}
            for docname, entries in self.objects.items():
                for entry in entries:
                    if entry[0] == "role":
                        shown.setdefault((docname, entry[3]), set()).add(entry[1])

            def rank(docname: str, entry: _Entry) -> tuple[bool, str]:
                return len(shown.get((docname, entry[3]), ())) < entry[6], docname

            ranked = sorted(
                (
                    (docname, entry)
                    for docname, entries in self.objects.items()
                    for entry in entries
                ),
                key=lambda item: rank(*item),
            )
            index: _Index = {}
            for docname, entry in ranked:  # sorted() is stable: page order within a page
                index.setdefault((entry[0], lookup_key(entry[1])), (docname, entry))
            self._index_cache = index
        return self._index_cache

    def find(self, objtype: str, name: str) -> tuple[str, str, str] | None:
        """(docname, anchor, hover title) of an object, or None."""
        hit = self._index().get((objtype, lookup_key(name)))
        if hit is None:
            return None
        docname, (_t, shown, anchor, release, role_title, _by_role, _count) = hit
        return docname, anchor, f"{release}, {role_title}: {shown.rsplit('/', 1)[-1]}"

    def get_objects(self) -> Iterable[tuple[str, str, str, str, str, int]]:
        for (objtype, _key), (docname, entry) in self._index().items():
            name, anchor, by_role = entry[1], entry[2], entry[5]
            # release-wide names first in search; role-qualified ones after them
            yield name, name, objtype, docname, anchor, 2 if by_role and objtype != "role" else 1

    def resolve_xref(
        self,
        env: BuildEnvironment,
        fromdocname: str,
        builder: Builder,
        typ: str,
        target: str,
        node: pending_xref,
        contnode: Element,
    ) -> nodes.reference | None:
        found = self.find(typ, target)
        if found is None:
            return None
        docname, anchor, title = found
        # rows have anchors in HTML only (LaTeX labels tables, not rows): elsewhere a
        # component or port links to its page
        anchor_id = anchor if typ == "role" or builder.format == "html" else None
        if node.get(INLINE):
            title = ""  # the literal inside has it: one tooltip, not two
        return make_refnode(builder, fromdocname, docname, anchor_id, contnode, title or None)

    def resolve_any_xref(
        self,
        env: BuildEnvironment,
        fromdocname: str,
        builder: Builder,
        target: str,
        node: pending_xref,
        contnode: Element,
    ) -> list[tuple[str, nodes.reference]]:
        out = []
        for objtype in self.object_types:
            ref = self.resolve_xref(env, fromdocname, builder, objtype, target, node, contnode)
            if ref is not None:
                out.append((f"{self.name}:{objtype}", ref))
        return out
