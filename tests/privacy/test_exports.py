"""The public API of replayport.privacy is pinned, and the package stays pure."""

from __future__ import annotations

import ast
from pathlib import Path

import replayport.privacy as privacy


def test_all_is_pinned() -> None:
    assert privacy.__all__ == [
        "DETECTOR_NAMES",
        "POLICY_SCHEMA",
        "AuditFinding",
        "CanaryMatcher",
        "Finding",
        "IdentifierHasher",
        "MaskedSession",
        "PrivacyPolicy",
        "Scrubber",
        "SessionIdentity",
        "find_pii",
        "hash_key_id",
        "load_canaries",
        "mask_session",
        "pseudonymise_identity",
        "scan_text",
        "scrub_text",
        "scrub_url",
    ]
    for name in privacy.__all__:
        assert hasattr(privacy, name)


def test_privacy_is_pure() -> None:
    package = Path(privacy.__file__).parent
    forbidden = {"dlt", "pyarrow", "duckdb", "requests", "httpx", "urllib.request", "deltalake"}
    for path in package.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in forbidden and name not in forbidden, (path, name)
        module = __import__(f"replayport.privacy.{path.stem}", fromlist=["__all__"])
        assert isinstance(getattr(module, "__all__", None), list), path
