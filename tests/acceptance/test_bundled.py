"""The bundled spec: present for every release, schema-valid, and exactly what the
project's own extractor makes of the corpus pages."""

from __future__ import annotations

import json

import jsonschema
import pytest

import konvoy_portspec as k
from konvoy_portspec.io import bundled
from tests.support import RELEASES, ROOT, load_script


def test_releases_are_the_eight_corpus_releases_oldest_first():
    assert k.releases() == RELEASES


@pytest.mark.parametrize("release", RELEASES)
def test_bundled_file_matches_schema(release):
    data = json.loads((ROOT / "spec" / "konvoy" / f"{release}.json").read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(bundled.schema())
    jsonschema.validate(data, bundled.schema())
    assert data["release"] == release
    assert [r["id"] for r in data["roles"]] == ["control-plane", "worker"]


def test_regenerating_from_the_corpus_gives_the_same_bytes(corpus):
    built = load_script("scripts/build_spec.py").build_all(str(corpus))
    assert sorted(built, key=RELEASES.index) == RELEASES
    for release, text in built.items():
        on_disk = (ROOT / "spec" / "konvoy" / f"{release}.json").read_text("utf-8")
        assert text == on_disk, f"spec/konvoy/{release}.json is stale: run `make spec`"


def test_source_records_the_corpus_page_hash(corpus):
    manifest = (corpus / "MANIFEST.tsv").read_text("utf-8").splitlines()[1:]
    hashes = {row.split("\t")[0]: row.split("\t")[5] for row in manifest}
    for release in RELEASES:
        spec = k.load(release)
        assert spec.source is not None
        assert spec.source.sha256 == hashes[f"{release}/ports.md"]


@pytest.mark.parametrize("name", ["v2.1", "2.1", "V2.1"])
def test_load_accepts_spellings(name):
    assert k.load(name).release == "v2.1"


def test_latest_is_newest():
    assert k.load("latest").release == RELEASES[-1]


def test_unknown_release_lists_known_ones():
    with pytest.raises(k.UnknownReleaseError) as info:
        k.load("v1.4")
    assert "v1.4" in str(info.value)
    assert "v1.5" in str(info.value) and "v2.3" in str(info.value)
    assert isinstance(info.value, LookupError)


def test_real_port_facts():
    v18, v21 = k.load("v1.8"), k.load("v2.1")
    worker = v21.roles["worker"]
    assert [r.port for r in worker.for_port(9400)] == [9400]
    assert worker.for_port(9400)[0].component == "NVIDIA GPU DCGM"
    nodeports = v18.roles["control-plane"].for_port(31000)
    assert [(r.port, r.end_port) for r in nodeports] == [(30000, 32767)]
    assert {rid for rid, _ in v21.for_component("kubelet")} == {"control-plane", "worker"}
    assert 9400 not in {r.port for r in v21.roles["control-plane"]}
    assert len(v18.roles["control-plane"]) == 15 and len(v18.roles["worker"]) == 12
    assert len(v21.roles["control-plane"]) == 17 and len(v21.roles["worker"]) == 15
