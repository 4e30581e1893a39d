"""`portspec scan --cache FILE`: the same results as a scan without it, fewer pages parsed,
and a cache that is never trusted beyond the code and the pages that wrote it."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from konvoy_portspec import cli
from konvoy_portspec.analysis.scan import cache as scan_cache
from konvoy_portspec.analysis.scan import scan_tree

from .test_scan import BROKEN, HTML_PAGE, PIPE_PAGE, _tree


def _scan(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.run(["scan", *args])
    out, err = capsys.readouterr()
    return code, out, err


def _one_page_tree(tmp_path: Path) -> tuple[Path, Path]:
    """A docs tree of one port page, and where its cache goes."""
    root = tmp_path / "docs"
    root.mkdir()
    (root / "a.md").write_text(PIPE_PAGE, "utf-8")
    return root, tmp_path / "c.json"


@pytest.fixture
def serial_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    """Small trees use the worker processes too, so both paths see the cache."""
    monkeypatch.setattr("konvoy_portspec.analysis.scan.pool.SERIAL_BELOW", 0)
    monkeypatch.setattr("konvoy_portspec.analysis.scan.pool.PARSE_IN_PROCESS_BELOW", 0)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_warm_scan_gives_the_cold_result_without_parsing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], jobs: str, serial_threshold: None
) -> None:
    root = _tree(tmp_path)
    cache = tmp_path / "scan-cache.json"
    plain = _scan([str(root), "-f", "json", "-j", jobs], capsys)
    cold = _scan([str(root), "-f", "json", "-j", jobs, "--cache", str(cache)], capsys)
    warm = _scan([str(root), "-f", "json", "-j", jobs, "--cache", str(cache)], capsys)
    assert plain == cold == warm
    assert plain[0] == 1  # the broken pages are reported from the cache too

    stamp = scan_cache.fingerprint()
    entries = scan_cache.load(str(cache), stamp)
    first = scan_tree(str(root), jobs=int(jobs), cache={})
    again = scan_tree(str(root), jobs=int(jobs), cache=entries)
    assert first.cached == 0 and again.cached == again.parsed == first.parsed > 0
    assert again.pages == first.pages and again.errors == first.errors


def test_cached_entries_are_used_and_changed_pages_parsed_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, cache = _one_page_tree(tmp_path)
    (root / "b.html").write_text(HTML_PAGE, "utf-8")
    _scan([str(root), "--cache", str(cache)], capsys)

    # Tamper with a's entry: a warm scan must report the tampered entry (it was used) ...
    data = json.loads(cache.read_text("utf-8"))
    key_a = scan_cache.key(str(root / "a.md"), (root / "a.md").read_bytes())
    data["pages"][key_a]["roles"][0]["ports"][0]["component"] = "from-the-cache"
    cache.write_text(json.dumps(data), "utf-8")
    _, out, _ = _scan([str(root), "-f", "json", "--cache", str(cache)], capsys)
    assert "from-the-cache" in out

    # ... and once the page changes, its new content is parsed instead.
    (root / "a.md").write_text(PIPE_PAGE.replace("Ansible", "Ansible2"), "utf-8")
    _, out, _ = _scan([str(root), "-f", "json", "--cache", str(cache)], capsys)
    assert "from-the-cache" not in out and "Ansible2" in out
    pages = json.loads(cache.read_text("utf-8"))["pages"]
    assert key_a not in pages and len(pages) == 2  # the stale entry is dropped


def test_an_entry_of_the_wrong_shape_is_a_miss(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, cache = _one_page_tree(tmp_path)
    expected = _scan([str(root), "-f", "json", "--cache", str(cache)], capsys)
    data = json.loads(cache.read_text("utf-8"))
    for bad in ({"roles": 3, "tables": 1}, {"roles": [{"title": "x"}], "tables": 1}):
        data["pages"] = {k: bad for k in data["pages"]}
        cache.write_text(json.dumps(data), "utf-8")
        assert _scan([str(root), "-f", "json", "--cache", str(cache)], capsys) == expected


def test_a_page_moved_to_another_release_folder_is_parsed_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The release can come from the path, so the path is part of the key."""
    page = "# Ports\n\n## Worker nodes\n\n| Port | Component |\n|---|---|\n| 22 | ssh |\n"
    (tmp_path / "docs" / "v1.1").mkdir(parents=True)
    (tmp_path / "docs" / "v1.1" / "ports.md").write_text(page, "utf-8")
    cache = tmp_path / "c.json"
    _, out, _ = _scan([str(tmp_path / "docs"), "-f", "json", "--cache", str(cache)], capsys)
    assert json.loads(out)["pages"][0]["release"] == "v1.1"
    os.rename(tmp_path / "docs" / "v1.1", tmp_path / "docs" / "v1.2")
    _, out, _ = _scan([str(tmp_path / "docs"), "-f", "json", "--cache", str(cache)], capsys)
    assert json.loads(out)["pages"][0]["release"] == "v1.2"


def test_a_cache_from_other_code_or_a_broken_one_is_ignored_and_rewritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, cache = _one_page_tree(tmp_path)
    expected = _scan([str(root), "-f", "json"], capsys)

    key_a = scan_cache.key(str(root / "a.md"), (root / "a.md").read_bytes())
    lie = {"tables": 1, "release": None, "product": "konvoy", "roles": []}
    cache.write_text(json.dumps({"fingerprint": "other", "pages": {key_a: lie}}), "utf-8")
    assert _scan([str(root), "-f", "json", "--cache", str(cache)], capsys) == expected
    assert json.loads(cache.read_text("utf-8"))["fingerprint"] == scan_cache.fingerprint()

    for broken in ("{not json", "[]", '{"fingerprint": 1}', ""):
        cache.write_text(broken, "utf-8")
        assert _scan([str(root), "-f", "json", "--cache", str(cache)], capsys) == expected
        assert scan_cache.load(str(cache), scan_cache.fingerprint()) != {}

    # Another entry format is other code too.
    before = scan_cache.fingerprint()
    monkeypatch.setattr(scan_cache, "FORMAT", scan_cache.FORMAT + 1)
    assert scan_cache.fingerprint() != before


def test_an_unchanged_cache_is_not_rewritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, cache = _one_page_tree(tmp_path)
    _scan([str(root), "--cache", str(cache)], capsys)
    os.utime(cache, ns=(1, 1))
    _scan([str(root), "--cache", str(cache)], capsys)
    assert cache.stat().st_mtime_ns == 1
    (root / "b.md").write_text(BROKEN, "utf-8")
    _scan([str(root), "--cache", str(cache)], capsys)
    assert cache.stat().st_mtime_ns != 1


def test_a_cache_that_cannot_be_written_warns_and_keeps_the_result(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, _ = _one_page_tree(tmp_path)
    expected = _scan([str(root), "-f", "json"], capsys)
    missing = tmp_path / "no-such-dir" / "c.json"
    code, out, err = _scan([str(root), "-f", "json", "--cache", str(missing)], capsys)
    assert (code, out) == expected[:2]
    assert err.startswith("portspec: scan: warning: cache not saved: ")
    assert str(missing) in err and not missing.exists()


# --- a cache is an input like any other (issue 11) --------------------------------------


@pytest.mark.skipif(
    not (os.path.exists("/dev/full") and stat.S_ISCHR(os.stat("/dev/full").st_mode)),
    reason="no /dev/full",
)
def test_a_device_as_cache_is_a_one_line_warning_and_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, _ = _one_page_tree(tmp_path)
    expected = _scan([str(root), "-f", "json"], capsys)
    code, out, err = _scan([str(root), "-f", "json", "--cache", "/dev/full"], capsys)
    assert (code, out) == expected[:2]
    assert err.startswith("portspec: scan: warning: cache not used: /dev/full: ")
    assert "character device" in err and err.count("\n") == 1 and "Traceback" not in err
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)  # neither read forever nor replaced


def test_a_fifo_or_a_folder_as_cache_is_a_warning_not_a_hang(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, _ = _one_page_tree(tmp_path)
    expected = _scan([str(root), "-f", "json"], capsys)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for cache in (fifo, tmp_path):
        code, out, err = _scan([str(root), "-f", "json", "--cache", str(cache)], capsys)
        assert (code, out) == expected[:2]
        assert err.startswith(f"portspec: scan: warning: cache not used: {cache}: ")
        assert err.count("\n") == 1
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and tmp_path.is_dir()


@pytest.mark.parametrize(
    ("hostile", "reason"),
    [
        ('{"fingerprint": "%s", "pages": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested"),
        ('{"fingerprint": "%s", "pages": {}, "n": ' + "7" * 5_000 + "}", "number"),
    ],
)
def test_a_cache_python_cannot_parse_is_a_warning_and_rebuilt(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], hostile: str, reason: str
) -> None:
    root, cache = _one_page_tree(tmp_path)
    expected = _scan([str(root), "-f", "json"], capsys)
    cache.write_text(hostile % scan_cache.fingerprint(), "utf-8")
    with pytest.raises(scan_cache.UnusableCache, match=reason):
        scan_cache.load(str(cache), scan_cache.fingerprint())
    code, out, err = _scan([str(root), "-f", "json", "--cache", str(cache)], capsys)
    assert (code, out) == expected[:2]
    assert err.startswith(f"portspec: scan: warning: cache not used: {cache}: ")
    assert err.count("\n") == 1 and "Traceback" not in err
    assert len(scan_cache.load(str(cache), scan_cache.fingerprint())) == 1  # rebuilt


FORGED_ENTRIES = [
    {"page": 5},
    {"error": 5, "line": None},
    {"error": "x", "line": "7"},
    {"error": "x", "line": 0},
    {"error": "\x1b[2J", "line": None},
    {"error": "x", "line": None, "more": 1},
    {"tables": 1, "release": None, "product": "konvoy", "roles": []},
    {"tables": True, "release": None, "product": "konvoy", "roles": "@"},
    {"tables": 0, "release": None, "product": "konvoy", "roles": "@"},
    {"tables": 1, "release": 2.1, "product": "konvoy", "roles": "@"},
    {"tables": 1, "release": None, "product": None, "roles": "@"},
    {"tables": 1, "release": None, "roles": "@"},
    "@port",
    "@id",
    "@extra",
]


@pytest.mark.parametrize("forged", FORGED_ENTRIES, ids=lambda e: json.dumps(e)[:40])
def test_an_entry_of_another_shape_is_a_miss_never_a_lost_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], forged: object
) -> None:
    """With the right fingerprint and key, an entry this code would not write is parsed
    again: ``{"page": 5}`` once read as "no port table" and the page vanished."""
    root, cache = _one_page_tree(tmp_path)
    expected = _scan([str(root), "-f", "json", "--cache", str(cache)], capsys)
    data = json.loads(cache.read_text("utf-8"))
    ((page_key, good),) = data["pages"].items()
    roles = good["roles"]
    if forged == "@port":
        forged = {
            **good,
            "roles": [{**roles[0], "ports": [{**roles[0]["ports"][0], "port": "22"}]}],
        }
    elif forged == "@id":
        forged = {**good, "roles": [{**roles[0], "id": "Not An Id"}]}
    elif forged == "@extra":
        forged = {**good, "roles": [{**roles[0], "ports": [{**roles[0]["ports"][0], "extra": 1}]}]}
    elif isinstance(forged, dict) and forged.get("roles") == "@":
        forged = {**forged, "roles": roles}
    assert not scan_cache.is_cache_entry(forged) and scan_cache.is_cache_entry(good)
    data["pages"] = {page_key: forged}
    cache.write_text(json.dumps(data), "utf-8")
    assert _scan([str(root), "-f", "json", "--cache", str(cache)], capsys) == expected
    assert json.loads(cache.read_text("utf-8"))["pages"] == {page_key: good}  # repaired

    data["pages"] = {page_key: forged}
    cache.write_text(json.dumps(data), "utf-8")
    result = scan_tree(
        str(root), jobs=1, cache=scan_cache.load(str(cache), scan_cache.fingerprint())
    )
    assert (result.parsed, result.cached) == (1, 0)
    assert [p.path for p in result.pages] == ["a.md"]


def test_the_fingerprint_covers_the_whole_package() -> None:
    """Not only the folder the cache module sits in: a change to the extractor must
    invalidate every cache."""
    package = Path(scan_tree.__code__.co_filename).parents[2]
    sources = [Path(f) for f in scan_cache.source_files()]
    assert all(f.is_relative_to(package) for f in sources)  # and nothing beyond it
    files = {f.relative_to(package).as_posix() for f in sources}
    assert {"extraction/cells.py", "extraction/prefilter.py", "model.py"} <= files
    assert "analysis/scan/cache.py" in files and "analysis/scan/pages.py" in files
