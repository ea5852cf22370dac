"""Bundled sample data for `replayport demo`.

Three real recordings ship with the package (`data/`); `generate_demo_recordings` derives a few
dozen re-identified sessions from them for obviously fake users, `generate_demo_payments` fake
Stripe charges for those users, and `write_demo_inputs` writes both as the files the `files` and
payments sources read.
"""

from replayport.demo.payments import (
    PAYMENTS_FILENAME,
    RECORDINGS_DIRNAME,
    DemoManifest,
    generate_demo_payments,
    write_demo_inputs,
)
from replayport.demo.samples import (
    DEFAULT_ANCHOR,
    DEFAULT_SEED,
    DemoRecording,
    DemoUser,
    generate_demo_recordings,
)

__all__ = [
    "DEFAULT_ANCHOR",
    "DEFAULT_SEED",
    "PAYMENTS_FILENAME",
    "RECORDINGS_DIRNAME",
    "DemoManifest",
    "DemoRecording",
    "DemoUser",
    "generate_demo_payments",
    "generate_demo_recordings",
    "write_demo_inputs",
]
