"""Fixtures for portable exports: the real corpus archived once, exports, one headless browser."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from replayport.config import Settings
from tests.cli.helpers import TEST_HASH_KEY
from tests.corpus import SESSIONS, corpus_path

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@dataclass(frozen=True)
class Corpus:
    """The real recordings, archived by replayport into `settings`' workdir."""

    settings: Settings
    ids: dict[str, str]
    """corpus session name → session id."""


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Corpus]:
    from replayport.runner import Run, extract_files

    root = tmp_path_factory.mktemp("portable")
    inputs = root / "input"
    inputs.mkdir()
    ids = {}
    for name in SESSIONS:
        shutil.copy(corpus_path(name, "blob_v2.jsonl"), inputs / f"{name}.blob_v2.jsonl")
        shutil.copy(corpus_path(name, "recording.json"), inputs / f"{name}.recording.json")
        ids[name] = json.loads(corpus_path(name, "recording.json").read_text())["id"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DLT_DATA_DIR", str(root / "dlt-data"))
        mp.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
        settings = Settings.resolve(root / "work")
        run = Run(settings, "extract", source="files")
        extract_files(run, inputs, hash_key=TEST_HASH_KEY)
        assert run.report().status == "ok", run.report().errors
        yield Corpus(settings, ids)


@pytest.fixture(scope="session")
def html_exports(corpus: Corpus) -> dict[str, Path]:
    """One HTML export per corpus session (assets: the corpus hosts are unreachable)."""
    from replayport.portable import AssetPolicy, ExportOptions, export_session

    out = corpus.settings.workdir / "exports"
    options = ExportOptions(assets=AssetPolicy(fetch_assets=False))
    return {
        name: export_session(corpus.settings, sid, "html", out, options).path
        for name, sid in corpus.ids.items()
    }


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (scripts/setup.sh installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@dataclass
class OfflinePage:
    """A page that may load only its own file: every other request is aborted and recorded."""

    page: Any
    console: list[tuple[str, str]]
    blocked: list[str]

    def problems(self) -> list[tuple[str, str]]:
        return [(kind, text) for kind, text in self.console if kind in ("error", "pageerror")]


@pytest.fixture
def offline_page(browser: Any) -> Iterator[Any]:
    contexts = []

    def open_page(path: Path) -> OfflinePage:
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        contexts.append(context)
        page = context.new_page()
        result = OfflinePage(page, [], [])
        page.on("console", lambda m: result.console.append((m.type, m.text)))
        page.on("pageerror", lambda e: result.console.append(("pageerror", str(e))))
        page.on("dialog", lambda d: (result.console.append(("dialog", d.message)), d.dismiss()))
        target = path.resolve().as_uri()

        def route(r: Any) -> None:
            if r.request.url == target:
                r.continue_()
            else:
                result.blocked.append(r.request.url)
                r.abort()

        context.route("**/*", route)
        page.goto(target)
        assert page.evaluate("window.replayport.ready") is True, result.console
        return result

    yield open_page
    for context in contexts:
        context.close()
