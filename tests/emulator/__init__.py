"""A faithful PostHog session-recording API emulator serving the real corpus recordings.

```python
from tests.emulator import PostHogEmulator, EmulatorConfig, build_recordings

with PostHogEmulator(build_recordings(12), EmulatorConfig(per_minute=30)) as ph:
    ...  # ph.url, ph.config.api_key, ph.log, ph.delete_recording(sid), ph.max_in_window(60)
```
"""

from tests.emulator.recordings import EmulatedRecording, build_recordings, load_corpus_lines
from tests.emulator.server import DEFAULT_API_KEY, EmulatorConfig, LogEntry, PostHogEmulator

__all__ = [
    "DEFAULT_API_KEY",
    "EmulatedRecording",
    "EmulatorConfig",
    "LogEntry",
    "PostHogEmulator",
    "build_recordings",
    "load_corpus_lines",
]
