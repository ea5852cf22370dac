"""Every demo export file decodes with the project's own decoder, without a single reject."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import pytest

from replayport.demo import generate_demo_recordings


def _decode_export_file() -> Callable[..., Any]:
    try:
        module = importlib.import_module("replayport.rrweb.decode")
    except ImportError as exc:
        pytest.skip(f"replayport.rrweb.decode is not available yet ({exc})")
    decode = getattr(module, "decode_export_file", None)
    if decode is None:
        pytest.skip("replayport.rrweb.decode has no decode_export_file yet")
    return decode  # type: ignore[no-any-return]


def test_every_demo_file_decodes_without_rejects() -> None:
    decode = _decode_export_file()
    for recording in generate_demo_recordings():
        decoded = decode(recording.export_bytes, origin=recording.filename)
        assert list(decoded.stream.rejects) == [], recording.filename
        assert decoded.version == "2023-04-28"
        assert decoded.session_id == recording.session_id
        assert decoded.person["distinct_ids"] == [recording.user.distinct_id]
        assert len(decoded.stream.events) == recording.event_count
        assert [w for w, _ in decoded.stream.events][:1] == [recording.window_ids[0]]
        assert {w for w, _ in decoded.stream.events} == set(recording.window_ids)
        # `cv` fields come out unpacked.
        assert not any("cv" in event for _, event in decoded.stream.events)
