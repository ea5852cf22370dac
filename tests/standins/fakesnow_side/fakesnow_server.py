"""Run a shimmed fakesnow server on 127.0.0.1:PORT until SIGTERM (runs in .venv-fakesnow)."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import fakesnow  # noqa: E402
import fakesnow_shim  # noqa: E402, F401 - patches on import

port = int(sys.argv[1])
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
signal.signal(signal.SIGINT, lambda *_: stop.set())
with fakesnow.server(port=port, host="127.0.0.1"):
    print(f"fakesnow listening on {port}", flush=True)
    stop.wait()
