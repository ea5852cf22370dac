"""Run the emulator by hand: `python -m tests.emulator --count 8 --per-minute 30`.

Prints the environment to point replayport at it, serves until Ctrl-C, then prints a summary
of the request log (and writes it as JSON lines with `--log FILE`).
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
from dataclasses import asdict
from pathlib import Path

from tests.emulator.recordings import build_recordings
from tests.emulator.server import EmulatorConfig, PostHogEmulator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=8, help="settled recordings")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--per-minute", type=int, default=None)
    parser.add_argument("--per-hour", type=int, default=None)
    parser.add_argument("--error-rate", type=float, default=0.0)
    parser.add_argument("--partial-rate", type=float, default=0.0)
    parser.add_argument("--slow-rate", type=float, default=0.0)
    parser.add_argument(
        "--export",
        type=Path,
        default=None,
        help="also write the settled recordings here (files source layout)",
    )
    parser.add_argument("--log", type=Path, default=None, help="request log (JSON lines)")
    args = parser.parse_args()
    config = EmulatorConfig(
        per_minute=args.per_minute,
        per_hour=args.per_hour,
        error_rate=args.error_rate,
        partial_rate=args.partial_rate,
        slow_rate=args.slow_rate,
        seed=args.seed,
    )
    emulator = PostHogEmulator(build_recordings(args.count, seed=args.seed), config)
    emulator.start()
    if args.export:
        emulator.export_jsonl(args.export)
    print(f"SOURCES__POSTHOG_REPLAY__HOST={emulator.url}")
    print(f"SOURCES__POSTHOG_REPLAY__PROJECT_ID={config.project_id}")
    print(f"SOURCES__POSTHOG_REPLAY__API_KEY={config.api_key}")
    print(f"# {len(emulator.settled())} settled recordings; Ctrl-C to stop", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    emulator.stop()
    statuses: dict[int, int] = {}
    for entry in emulator.log:
        statuses[entry.status] = statuses.get(entry.status, 0) + 1
    print(
        f"# {len(emulator.log)} requests, by status {statuses}, "
        f"max in any 60 s: {emulator.max_in_window(60)}"
    )
    if args.log:
        with args.log.open("w") as handle:
            for entry in emulator.log:
                handle.write(json.dumps(asdict(entry)) + "\n")


if __name__ == "__main__":
    main()
