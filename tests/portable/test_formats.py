"""ZIP bundle, PostHog file round trip, HTML embedding and asset inlining (no browser)."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import json
import re
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from rich.console import Console

from replayport import report
from replayport.archive.store import Archive
from replayport.config import Settings
from replayport.portable import (
    AssetFetcher,
    AssetPolicy,
    ExportOptions,
    export_session,
    inline_assets,
    load_session,
    read_embedded,
)
from replayport.portable.html import embed_json
from tests.cli.helpers import TEST_HASH_KEY, run_cli
from tests.portable.conftest import Corpus

pytestmark = pytest.mark.slow

_DATA_BLOCK = re.compile(r'<script type="application/json" id="rp-data">(.*?)</script>', re.S)


def read_data_block(page: str) -> str:
    match = _DATA_BLOCK.search(page)
    assert match, "no data block"
    return match.group(1)


def test_embedded_json_cannot_end_its_script_block() -> None:
    value = {"a": "</script><script>alert(1)</script>", "b": "<!-- x -->", "c": "&\u2028\u2029"}
    text = embed_json(value)
    assert not set(text) & {"<", ">", "&", "\u2028", "\u2029"}
    assert json.loads(text) == value


def test_html_has_a_strict_policy_and_its_data_decodes(
    corpus: Corpus, html_exports: dict[str, Path]
) -> None:
    page = html_exports["s1_defaults_desktop"].read_text()
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert "default-src 'none'" in csp and "connect-src 'none'" in csp and "img-src data:" in csp
    assert "unsafe-eval" not in csp and csp.count("'sha256-") == 2
    script = "script-src " + " ".join(sorted(re.findall(r"'sha256-[^']+'", csp)))
    assert "'unsafe-inline'" not in script
    assert "cdn" not in page.lower() or "https://cdn" not in page
    data = read_embedded(page)
    session = load_session(Archive(corpus.settings), corpus.ids["s1_defaults_desktop"])
    embedded = [e for events in data["events"]["windows"].values() for e in events]
    assert len(embedded) == len(session.events)
    assert data["session"]["privacy_policy_version"] == session.meta["privacy_policy_version"]
    assert data["console"] and data["network"] and data["clicks"]


def test_zip_bundle_members_and_checksums(corpus: Corpus, tmp_path: Path) -> None:
    sid = corpus.ids["s2_risky_desktop_long"]
    result = export_session(
        corpus.settings,
        sid,
        "zip",
        tmp_path / "b.zip",
        ExportOptions(assets=AssetPolicy(fetch_assets=False)),
    )
    with zipfile.ZipFile(result.path) as bundle:
        names = set(bundle.namelist())
        assert names == {
            "events.jsonl.gz",
            "metadata.json",
            "console.jsonl",
            "network.jsonl",
            "clicks.jsonl",
            "player.html",
        }
        metadata = json.loads(bundle.read("metadata.json"))
        for name, entry in metadata["files"].items():
            assert hashlib.sha256(bundle.read(name)).hexdigest() == entry["sha256"], name
        events = [
            json.loads(line)
            for line in gzip.decompress(bundle.read("events.jsonl.gz")).decode().splitlines()
        ]
        assert "rp-data" in bundle.read("player.html").decode()
    session = load_session(Archive(corpus.settings), sid)
    assert events == session.events
    assert metadata["hash_key_id"] == session.meta["hash_key_id"]
    assert metadata["privacy_policy_version"] == session.meta["privacy_policy_version"]
    assert metadata["replayport_version"]
    assert metadata["counts"]["console"] == len(session.console) > 0


def test_posthog_file_round_trips_through_the_files_source(
    corpus: Corpus,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("s1_defaults_desktop", "s3_defaults_mobile"):
        sid = corpus.ids[name]
        out = tmp_path / name
        result = run_cli(
            capsys,
            "--workdir",
            str(corpus.settings.workdir),
            "export",
            sid,
            "--format",
            "posthog",
            "--output",
            str(out),
        )
        assert result.exit_code == 0, result.stderr
        path = out / f"export-{sid}.ph-recording.json"
        document = json.loads(path.read_text())
        assert document["version"] == "2023-04-28" and document["data"]["id"] == sid
        assert all(isinstance(e["windowId"], int) for e in document["data"]["snapshots"])

        monkeypatch.setenv("REPLAYPORT__HASH_KEY", TEST_HASH_KEY)
        workdir = tmp_path / f"{name}-reimport"
        result = run_cli(
            capsys, "--workdir", str(workdir), "extract", "--source", "files", "--path", str(path)
        )
        assert result.exit_code == 0, result.stderr
        before = load_session(Archive(corpus.settings), sid)
        after = load_session(Archive(Settings.resolve(workdir)), sid)

        def strip(session: Any) -> list[tuple[int, Any, int]]:
            return [(e["type"], e["data"], e["timestamp"]) for e in session.events]

        assert strip(after) == strip(before), name

        def partition(session: Any) -> list[list[int]]:
            groups: dict[str, list[int]] = {}
            for i, e in enumerate(session.events):
                groups.setdefault(e["windowId"], []).append(i)
            return sorted(groups.values())

        assert partition(after) == partition(before)


# ---- assets ---------------------------------------------------------------------------------

_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360"
    "f8cfc0f01f0005000201e221bc330000000049454e44ae426082"
)


@pytest.fixture
def asset_server() -> Iterator[str]:
    files = {
        "/style.css": (
            "text/css",
            b"@import 'more.css'; body{background:url(bg.png)} "
            b"@font-face{font-family:X;src:url(/font.woff2) format('woff2')}",
        ),
        "/more.css": ("text/css", b".x{background-image:url('/bg.png')}"),
        "/bg.png": ("image/png", _PNG),
        "/font.woff2": ("font/woff2", b"wOF2fake"),
        "/page.html": ("text/html", b"<html>personal page</html>"),
        "/huge.png": ("image/png", b"\0" * 200_000),
    }

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            if self.path not in files:
                self.send_error(404)
                return
            mime, body = files[self.path]
            self.send_response(200)
            self.send_header("Content-Type", mime)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _local_only(url: str, **kwargs: Any) -> Any:
    """Tests may only reach 127.0.0.1: any other host behaves as unreachable."""
    if not url.startswith("http://127.0.0.1:"):
        raise requests.ConnectionError("not reachable from tests")
    return requests.get(url, **kwargs)


def test_assets_are_inlined_and_what_cannot_be_is_reported(
    corpus: Corpus, asset_server: str
) -> None:
    session = load_session(Archive(corpus.settings), corpus.ids["s1_defaults_desktop"])
    snapshot = next(e for e in session.events if e["type"] == 2)
    html = next(n for n in snapshot["data"]["node"]["childNodes"] if n.get("tagName") == "html")
    head = html["childNodes"][0]
    head["childNodes"] += [
        {
            "type": 2,
            "tagName": "link",
            "id": 90001,
            "childNodes": [],
            "attributes": {"rel": "stylesheet", "href": f"{asset_server}/style.css"},
        },
        {
            "type": 2,
            "tagName": "link",
            "id": 90002,
            "childNodes": [],
            "attributes": {
                "rel": "stylesheet",
                "href": "http://clinic.devcanary.test:8201/app/style.css",
            },
        },
        {
            "type": 2,
            "tagName": "img",
            "id": 90003,
            "childNodes": [],
            "attributes": {"src": f"{asset_server}/huge.png"},
        },
        {
            "type": 2,
            "tagName": "img",
            "id": 90004,
            "childNodes": [],
            "attributes": {"src": f"{asset_server}/page.html"},
        },
        {
            "type": 2,
            "tagName": "img",
            "id": 90005,
            "childNodes": [],
            "attributes": {"src": "https://elsewhere.test/x.png", "style": "width:1px"},
        },
    ]
    policy = AssetPolicy(asset_hosts=(asset_server.split("//")[1],), max_asset_bytes=100_000)
    fetcher = AssetFetcher(policy, {"clinic.devcanary.test:8201"}, get=_local_only)
    events, assets = inline_assets(session.events, fetcher)
    assert "href" in head["childNodes"][-5]["attributes"]  # the input is left untouched

    new_head = next(e for e in events if e["type"] == 2)["data"]["node"]
    links = {
        n["id"]: n
        for n in new_head["childNodes"][1]["childNodes"][0]["childNodes"]
        if n.get("id", 0) > 90000
    }
    css = links[90001]["attributes"]["_cssText"]
    assert "href" not in links[90001]["attributes"]
    assert "data:image/png;base64," in css and "data:font/woff2;base64," in css
    assert '.x{background-image:url("data:image/png' in css  # @import inlined too
    assert set(assets.inlined) == {
        f"{asset_server}/{f}" for f in ("style.css", "more.css", "bg.png", "font.woff2")
    }
    missing = assets.missing
    assert missing["http://clinic.devcanary.test:8201/app/style.css"].startswith("unreachable")
    assert "size cap" in missing[f"{asset_server}/huge.png"]
    assert "content type text/html" in missing[f"{asset_server}/page.html"]
    assert "allow-list" in missing["https://elsewhere.test/x.png"]
    for node_id in (90002, 90003, 90004, 90005):
        attributes = links[node_id]["attributes"]
        assert "href" not in attributes and "src" not in attributes

    out = io.StringIO()
    report.export_result(Console(file=out, width=200), _Result(assets))
    assert "clinic.devcanary.test:8201/app/style.css — unreachable" in out.getvalue()


class _Result:
    def __init__(self, assets: Any) -> None:
        self.assets, self.session_id, self.format = assets, "s", "html"
        self.path, self.bytes, self.events, self.windows = Path("x.html"), 1, 1, 1


def test_export_cli_many_and_errors(
    corpus: Corpus, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workdir = str(corpus.settings.workdir)
    result = run_cli(
        capsys,
        "--workdir",
        workdir,
        "export",
        "--all",
        "--format",
        "zip",
        "--no-assets",
        "--output",
        str(tmp_path / "all"),
    )
    assert result.exit_code == 0, result.stderr
    assert len(list((tmp_path / "all").glob("replay-*.zip"))) == 3
    assert "progress exports=3/3" in result.stderr
    assert run_cli(capsys, "--workdir", workdir, "export", "nope").exit_code == 1
    usage = run_cli(capsys, "--workdir", workdir, "export")
    assert usage.exit_code == 2 and "SESSION_ID" in usage.stderr
    since = run_cli(
        capsys,
        "--workdir",
        workdir,
        "export",
        "--since",
        "2100-01-01",
        "--output",
        str(tmp_path / "none"),
    )
    assert since.exit_code == 0 and "0 replay(s) written" in since.stdout
