"""rrweb's replayer as installed by `scripts/player.sh`: the built files inlined into exports.

The npm package is pinned in `player/package-lock.json` and installed into
`player/node_modules` by the project's setup; nothing is downloaded at export or view time.
`REPLAYPORT_PLAYER_DIR` points elsewhere (e.g. a directory shipped next to a wheel install).
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass
from pathlib import Path

from replayport.errors import ConfigError

__all__ = ["PlayerAssets", "load_player"]

_DIST = Path("node_modules") / "rrweb" / "dist"
_SCRIPT = "rrweb.umd.min.cjs"
_STYLE = "style.min.css"


@dataclass(frozen=True)
class PlayerAssets:
    """rrweb's minified UMD build (defines `window.rrweb`) and its stylesheet."""

    version: str
    script: str
    style: str


def _player_dir() -> Path:
    configured = os.environ.get("REPLAYPORT_PLAYER_DIR")
    if configured:
        return Path(configured).expanduser()
    # connectors/replayport/portable/player.py → repository root / player
    return Path(__file__).resolve().parents[3] / "player"


def _strip_source_map(text: str) -> str:
    # the map is not shipped; the comment would only make devtools try to fetch it
    lines = text.rstrip().splitlines()
    markers = ("//# sourceMappingURL=", "/*# sourceMappingURL=")
    while lines and lines[-1].lstrip().startswith(markers):
        lines.pop()
    return "\n".join(lines) + "\n"


@functools.cache
def load_player(directory: Path | None = None) -> PlayerAssets:
    """Read the installed player once per process.

    Raises:
        ConfigError: the player is not installed (run `bash scripts/player.sh`).
    """
    root = directory or _player_dir()
    dist = root / _DIST
    script, style = dist / _SCRIPT, dist / _STYLE
    if not script.is_file() or not style.is_file():
        raise ConfigError(
            f"the rrweb player is not installed in {root / 'node_modules'}: run "
            "`bash scripts/player.sh` (or scripts/setup.sh), or set REPLAYPORT_PLAYER_DIR"
        )
    version = json.loads((dist.parent / "package.json").read_text()).get("version", "?")
    text = _strip_source_map(script.read_text(encoding="utf-8"))
    # inline <script> content must never contain its own end tag
    text = text.replace("</script", "<\\/script")
    return PlayerAssets(str(version), text, _strip_source_map(style.read_text(encoding="utf-8")))
