"""Incremental builds (no -E) of tests/roots/test-ports-rebuild: a change of the user's
spec files re-reads exactly the pages that show what changed, and no page goes stale.

The site: r21/r22/r23 show v2.1, v2.2 and v2.3 (v2.3 overridden by ports/v2.3.json),
diff shows v2.2 -> v2.3, roles names v2.1 and v2.2 inline, future names v2.5 (which no
spec has at first), newest names ``latest`` inline; index and plain use no spec.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from tests._sphinx import new_app, warnings_of

SPECS_OF_V23 = {"r23", "diff", "newest"}  # v2.3 is the newest release: `latest` too


@pytest.fixture
def site(rootdir, tmp_path) -> Path:
    src = tmp_path / "src"
    shutil.copytree(rootdir / "test-ports-rebuild", src)
    return src


class Builds:
    """Builds of one site into one output folder, each recording the pages it read.

    Each build has an app of its own, cleaned up once before the next one (see
    tests._sphinx.built_once for why not sphinx.testing's make_app).
    """

    def __init__(self, src: Path, out: Path) -> None:
        self.src, self.out = src, out
        self.app = None

    def build(self, freshenv: bool = False) -> tuple[set[str], str]:
        self.close()
        self.app = app = new_app("html", self.src, self.out, freshenv)
        read: set[str] = set()
        app.connect("env-before-read-docs", lambda app, env, docnames: read.update(docnames))
        app.build()
        return read, warnings_of(app)

    def page(self, name: str) -> str:
        return (Path(self.app.outdir) / f"{name}.html").read_text(encoding="utf-8")

    def close(self) -> None:
        if self.app is not None:
            self.app.cleanup()
            self.app = None


@pytest.fixture
def builds(site, tmp_path):
    made = Builds(site, tmp_path / "out")
    yield made
    made.close()


def _later(path: Path) -> None:
    """Move a file's mtime on, as an edit seconds later would (coarse file systems)."""
    stamp = max(path.stat().st_mtime_ns, time.time_ns()) + 2_000_000_000
    os.utime(path, ns=(stamp, stamp))


def _user_spec(release: str, notes: str) -> str:
    return json.dumps(
        {
            "schema_version": 1,
            "product": "konvoy",
            "release": release,
            "roles": [
                {
                    "id": "worker",
                    "title": "Worker nodes",
                    "ports": [
                        {
                            "port": 10250,
                            "end_port": 10250,
                            "protocol": "tcp",
                            "component": "kubelet",
                            "notes": notes,
                        }
                    ],
                }
            ],
        },
        indent=2,
    )


def test_editing_a_user_spec_rereads_only_the_pages_that_show_its_release(site, builds):
    read, _ = builds.build(freshenv=True)
    assert "r21" in read and "plain" in read  # the first build reads everything
    spec = site / "ports" / "v2.3.json"
    spec.write_text(spec.read_text().replace("overridden by a user spec", "edited in place"))
    _later(spec)
    read, warnings = builds.build()
    assert read == SPECS_OF_V23
    assert "edited in place" in builds.page("r23") and "edited in place" in builds.page("diff")
    assert warnings == ""  # future.rst (unknown v2.5) was not re-read
    # a new mtime with the same bytes changes nothing a page shows: nothing is re-read
    _later(spec)
    read, _ = builds.build()
    assert read == set()


def test_a_spec_file_added_later_refreshes_the_pages_that_named_it(site, builds):
    _, warnings = builds.build(freshenv=True)
    assert f"{site / 'future.rst'}:6: WARNING: konvoy-ports: unknown release 'v2.5'" in warnings
    assert "10250/tcp" in builds.page("newest")  # latest = v2.3, the user's override
    (site / "ports" / "v2.5.json").write_text(_user_spec("v2.5", "added in v2.5"))
    read, warnings = builds.build()
    # the page that named v2.5, and the one whose `latest` now means v2.5
    assert read == {"future", "newest"}
    assert warnings == ""
    assert "added in v2.5" in builds.page("future")
    newest = builds.page("newest")
    assert 'title="v2.5, Worker nodes: kubelet"' in newest
    assert "future.html#konvoy-v2-5-worker-10250-tcp" in newest  # linked to the new table


def test_a_removed_user_spec_brings_the_bundled_release_back(site, builds):
    builds.build(freshenv=True)
    assert "overridden by a user spec" in builds.page("r23")
    (site / "ports" / "v2.3.json").unlink()
    read, warnings = builds.build()
    assert read == SPECS_OF_V23
    assert warnings.count("WARNING") == 0
    page = builds.page("r23")
    assert "overridden by a user spec" not in page and "Control-plane nodes" in page
