"""Demo recordings: re-identified copies of the three real corpus recordings.

The bundled base recordings (`data/<name>.blob_v2.jsonl.gz`, PostHog's v2 block lines exactly as
the corpus holds them) are copied into a few dozen sessions for a dozen obviously fake users.
Each copy gets a new session id, new window ids, a new start time and an outcome that cuts the
scripted visit short at one page, and is written as PostHog's `2023-04-28` export file
(`.ph-recording.json`). Everything is derived from the seed: the same arguments always give the
same bytes.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

import orjson

__all__ = [
    "BASE_RECORDINGS",
    "DEFAULT_ANCHOR",
    "DEFAULT_SEED",
    "DEFAULT_SESSIONS",
    "DEFAULT_USERS",
    "EXPORT_VERSION",
    "OUTCOMES",
    "SPREAD_DAYS",
    "BaseRecording",
    "DemoRecording",
    "DemoUser",
    "generate_demo_recordings",
    "load_base_recording",
]

EXPORT_VERSION = "2023-04-28"
"""PostHog's current `.ph-recording.json` format version (`ExportedSessionRecordingFileV2`)."""

DEFAULT_SEED = 2026
DEFAULT_USERS = 12
DEFAULT_SESSIONS = 36
DEFAULT_ANCHOR = datetime(2026, 10, 1, tzinfo=UTC)
SPREAD_DAYS = 56
"""Session starts fall within this many days after the anchor (about eight weeks)."""

BASE_RECORDINGS: dict[str, str] = {
    "s1_defaults_desktop": "desktop",
    "s2_risky_desktop_long": "desktop",
    "s3_defaults_mobile": "mobile",
}
"""Bundled base recordings → device class."""

OUTCOMES = ("full", "no_help", "abandoned_booking", "browse_only")
"""How a demo session ends, from most to least of the scripted visit kept."""

_CUT_PAGE: dict[str, str | None] = {
    "full": None,
    "no_help": "/help",
    "abandoned_booking": "/account",
    "browse_only": "/book",
}
"""Outcome → the page whose Meta event (and everything after it) is cut away.

`abandoned_booking` cuts earlier still, at the submit gesture (see `BaseRecording.cut_at`)."""

_BOOKING_API = "/api/appointments"
"""The request the booking form's submit button sends."""

_BOOKED_OUTCOMES = frozenset({"full", "no_help"})
"""Outcomes that reach /account, i.e. the booking form was submitted."""

_BOOKING_PAGE = "/account"
"""The page the booking form redirects to once the appointment is booked."""

_DEVICE_PROPERTIES: dict[str, dict[str, str]] = {
    # The corpus browser sent an ordinary Chrome user agent: Linux desktop, Android Pixel 8.
    "desktop": {"$browser": "Chrome", "$os": "Linux"},
    "mobile": {"$browser": "Chrome", "$os": "Android"},
}

_DAY_HOURS = range(7, 23)
"""UTC hours in which demo sessions start (people book appointments while awake)."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_INCREMENTAL = 3
_META = 4
_CUSTOM = 5
_PLUGIN = 6
_MOUSE_INTERACTION = 2
_CLICK = 2
_NETWORK_EPOCH_FIELDS = ("timestamp", "timeOrigin")
"""Absolute epoch-ms fields of an `rrweb/network@1` request entry (the rest are relative)."""


@dataclass(frozen=True)
class BaseRecording:
    """One bundled real recording, parsed once and shared read-only.

    Attributes:
        name: Corpus session name, e.g. `s1_defaults_desktop`.
        device: `desktop` or `mobile`.
        events: `(window_id, event)` pairs in blob order; events are still `cv`-packed.
        meta: The corpus's listing element for the session (`recording.json`).
        page_starts: `(path, timestamp)` of every Meta event, in order.
        first_timestamp: Earliest event timestamp (epoch ms).
        submit_at: Start of the pointer gesture that submitted the booking form (epoch ms), if
            found.
    """

    name: str
    device: str
    events: tuple[tuple[str, dict[str, Any]], ...] = field(repr=False)
    meta: dict[str, Any] = field(repr=False)
    page_starts: tuple[tuple[str, int], ...]
    first_timestamp: int
    submit_at: int | None

    def cut_at(self, outcome: str) -> int | None:
        """Timestamp from which `outcome` drops events (None: keep everything).

        Args:
            outcome: One of `OUTCOMES`.

        Returns:
            The cut timestamp (epoch ms, exclusive upper bound of kept events).
        """
        page = _CUT_PAGE[outcome]
        if page is None:
            return None
        cut = self.page_start(page)
        if outcome == "abandoned_booking" and self.submit_at is not None:
            # The submit click and its POST happen on /book, before /account's Meta: cutting
            # at the Meta alone would leave a submitted booking in an "abandoned" session.
            cut = self.submit_at if cut is None else min(cut, self.submit_at)
        return cut

    def page_start(self, path: str) -> int | None:
        """Timestamp of the first Meta event on `path`, or None if the visit never got there."""
        for page, timestamp in self.page_starts:
            if page == path:
                return timestamp
        return None


@dataclass(frozen=True)
class DemoUser:
    """An obviously fake person owning demo sessions.

    Attributes:
        index: 1-based number; every identifier is derived from it.
        distinct_id: PostHog distinct id, `demo-user-NN`.
        email: `demo.userNN@example.com` (reserved example domain).
        name: `Demo User NN`.
        person_uuid: PostHog person uuid (stable for the seed).
        device: `desktop` or `mobile`; the user's sessions all come from this device class.
        pays_again: Ground truth of the simulation: the user pays again within 30 days of the
            first booking. Users who hit the /help errors get this far less often, which is
            the churn signal the dbt marts should rediscover.
    """

    index: int
    distinct_id: str
    email: str
    name: str
    person_uuid: str
    device: str
    pays_again: bool


@dataclass(frozen=True)
class DemoRecording:
    """One generated demo session and its export file.

    Attributes:
        session_id: UUIDv7-shaped id whose time part is the session start.
        user: The session's owner.
        start: First event time (UTC, millisecond precision).
        end: Last event time (UTC).
        base: Name of the base recording it was copied from.
        outcome: One of `OUTCOMES`.
        tags: Outcome, device, base and what the kept events show (`booked`,
            `console_errors`, `rage_clicks`, `dead_clicks`).
        booked_at: When the booking form redirected to /account, if the session got there.
        window_ids: New window ids, in order of first appearance.
        event_count: Number of snapshots in the export file.
        export_bytes: The `.ph-recording.json` file content.
    """

    session_id: str
    user: DemoUser
    start: datetime
    end: datetime
    base: str
    outcome: str
    tags: tuple[str, ...]
    booked_at: datetime | None
    window_ids: tuple[str, ...]
    event_count: int
    export_bytes: bytes = field(repr=False)

    @property
    def filename(self) -> str:
        """File name PostHog's player gives this export."""
        return f"export-{self.session_id}.ph-recording.json"

    @property
    def booked(self) -> bool:
        """Whether the session reached /account (the appointment was booked)."""
        return self.booked_at is not None


@dataclass(frozen=True)
class _SessionPlan:
    user: DemoUser
    start_ms: int
    base: str
    outcome: str


@functools.cache
def load_base_recording(name: str) -> BaseRecording:
    """Load one bundled base recording (parsed once per process).

    Args:
        name: A key of `BASE_RECORDINGS`.

    Returns:
        The parsed recording; treat its events as read-only, they are shared.

    Raises:
        KeyError: `name` is not a bundled recording.
    """
    device = BASE_RECORDINGS[name]
    data = resources.files("replayport.demo").joinpath("data")
    blob = gzip.decompress(data.joinpath(f"{name}.blob_v2.jsonl.gz").read_bytes())
    meta = orjson.loads(data.joinpath(f"{name}.recording.json").read_bytes())
    events: list[tuple[str, dict[str, Any]]] = []
    for line in blob.splitlines():
        if line:
            window_id, event = orjson.loads(line)
            events.append((window_id, event))
    page_starts = tuple(
        (urlsplit(event["data"]["href"]).path, event["timestamp"])
        for _, event in events
        if event.get("type") == _META
    )
    first = min(event["timestamp"] for _, event in events)
    submit_at = _submit_gesture_start(events)
    return BaseRecording(name, device, tuple(events), meta, page_starts, first, submit_at)


def _submit_gesture_start(events: Sequence[tuple[str, dict[str, Any]]]) -> int | None:
    """Start of the tap/click that sent the booking request, or None if not recognisable.

    The gesture is the last Click before the booking request plus the pointer events on the same
    node just before it (MouseDown, TouchStart, Focus…, within one second).
    """
    request_at = None
    for _, event in events:
        data = event.get("data")
        if event.get("type") == _PLUGIN and isinstance(data, dict):
            if data.get("plugin") == "rrweb/network@1":
                for request in (data.get("payload") or {}).get("requests") or ():
                    if urlsplit(str(request.get("name", ""))).path == _BOOKING_API:
                        request_at = request.get("timestamp")
                        break
        if request_at is not None:
            break
    if not isinstance(request_at, int):
        return None
    interactions = [
        event
        for _, event in events
        if event.get("type") == _INCREMENTAL
        and event["data"].get("source") == _MOUSE_INTERACTION
        and event["timestamp"] <= request_at
    ]
    clicks = [event for event in interactions if event["data"].get("type") == _CLICK]
    if not clicks:
        return None
    click = clicks[-1]
    target, at = click["data"].get("id"), click["timestamp"]
    return min(
        event["timestamp"]
        for event in interactions
        if event["data"].get("id") == target and at - 1000 <= event["timestamp"] <= at
    )


def generate_demo_recordings(
    seed: int = DEFAULT_SEED,
    users: int = DEFAULT_USERS,
    sessions: int = DEFAULT_SESSIONS,
    anchor: datetime = DEFAULT_ANCHOR,
) -> list[DemoRecording]:
    """Generate the demo sessions, deterministically.

    Args:
        seed: Seed for every random choice and derived id.
        users: Number of fake users (1–99); each gets at least one session.
        sessions: Number of sessions (at least `users`).
        anchor: Start of the ~8-week window the sessions fall in (naive means UTC).

    Returns:
        The sessions ordered by start time.

    Raises:
        ValueError: Counts out of range.
    """
    if not 1 <= users <= 99:
        raise ValueError("users must be between 1 and 99")
    if sessions < users:
        raise ValueError("sessions must be at least users (every user has a session)")
    if sessions > len(_DAY_HOURS) * SPREAD_DAYS:
        # Each user's sessions take distinct hour slots; this bound keeps sampling possible.
        raise ValueError(f"at most {len(_DAY_HOURS) * SPREAD_DAYS} sessions")
    anchor = anchor.replace(tzinfo=UTC) if anchor.tzinfo is None else anchor.astimezone(UTC)
    plans = _plan_sessions(seed, users, sessions, anchor)
    first_start: dict[int, int] = {}
    for plan in plans:
        first_start.setdefault(plan.user.index, plan.start_ms)
    return [
        _build_recording(seed, number, plan, first_start[plan.user.index])
        for number, plan in enumerate(plans)
    ]


def _plan_sessions(
    seed: int, user_count: int, session_count: int, anchor: datetime
) -> list[_SessionPlan]:
    """Decide who visits when, from which device and how far each visit gets."""
    # A string seed is hashed with SHA-512 by `random`, so the stream is the same everywhere.
    rng = random.Random(f"replayport-demo/{seed}")
    order = list(range(user_count))
    rng.shuffle(order)
    mobile = set(order[: round(user_count / 3)])

    # Profiles: "frustrated" users hit the /help errors on their booking visit, "never" users
    # only browse, the rest book without trouble. Fixed quotas (not coin flips) decide who pays
    # again, so the churn signal holds for every seed, not just lucky ones.
    rng.shuffle(order)
    n_frustrated = round(user_count * 5 / 12)
    n_never = 1 if user_count >= 6 else 0
    frustrated = order[:n_frustrated]
    never = set(order[n_frustrated : n_frustrated + n_never])
    smooth = order[n_frustrated + n_never :]
    pays_again = set(rng.sample(frustrated, round(len(frustrated) * 0.2)))
    pays_again |= set(rng.sample(smooth, round(len(smooth) * 0.8)))

    users = [
        DemoUser(
            index=i + 1,
            distinct_id=f"demo-user-{i + 1:02d}",
            email=f"demo.user{i + 1:02d}@example.com",
            name=f"Demo User {i + 1:02d}",
            person_uuid=str(uuid.UUID(bytes=_derive(seed, "person", i)[:16], version=5)),
            device="mobile" if i in mobile else "desktop",
            pays_again=i in pays_again,
        )
        for i in range(user_count)
    ]

    # Some users come back often, most a few times.
    counts = [1] * user_count
    weights = [rng.choice((1, 1, 2, 3, 5)) for _ in range(user_count)]
    for _ in range(session_count - user_count):
        counts[rng.choices(range(user_count), weights)[0]] += 1

    slots = [day * 24 + hour for day in range(SPREAD_DAYS) for hour in _DAY_HOURS]
    anchor_ms = (anchor - _EPOCH) // timedelta(milliseconds=1)
    plans: list[_SessionPlan] = []
    for i, user in enumerate(users):
        profile = "frustrated" if i in frustrated else "never" if i in never else "smooth"
        outcomes = _user_outcomes(rng, counts[i], profile, user.pays_again)
        for slot, outcome in zip(sorted(rng.sample(slots, counts[i])), outcomes, strict=True):
            offset_ms = slot * 3_600_000 + rng.randrange(3_600_000)
            if user.device == "mobile":
                base = "s3_defaults_mobile"
            else:
                base = "s2_risky_desktop_long" if rng.random() < 0.25 else "s1_defaults_desktop"
            plans.append(_SessionPlan(user, anchor_ms + offset_ms, base, outcome))
    plans.sort(key=lambda plan: (plan.start_ms, plan.user.index))
    return plans


def _user_outcomes(rng: random.Random, count: int, profile: str, pays_again: bool) -> list[str]:
    """Outcomes of one user's sessions in time order.

    The first booking is the user's first `full` (frustrated) or `no_help` (smooth) session;
    only users who pay again book again afterwards, so a single deposit really means churn.
    """
    browsing = ("browse_only", "abandoned_booking")
    if profile == "never":
        return [rng.choice(browsing) for _ in range(count)]
    first_booking = 1 if count >= 2 and rng.random() < 0.4 else 0
    if profile == "frustrated":
        booking, again = "full", ("full", "no_help", "browse_only")
    else:
        booking, again = "no_help", ("no_help", "no_help", "browse_only")
    outcomes: list[str] = []
    for n in range(count):
        if n < first_booking:
            outcomes.append(rng.choice(browsing))
        elif n == first_booking:
            outcomes.append(booking)
        else:
            outcomes.append(rng.choice(again if pays_again else browsing))
    return outcomes


def _build_recording(
    seed: int, number: int, plan: _SessionPlan, user_since_ms: int
) -> DemoRecording:
    """Copy the plan's base recording into a new export file."""
    base = load_base_recording(plan.base)
    cut_ms = base.cut_at(plan.outcome)
    shift = plan.start_ms - base.first_timestamp

    kept = [
        (window_id, event)
        for window_id, event in base.events
        if cut_ms is None or event["timestamp"] < cut_ms
    ]
    # PostHog exports post-processed (time-sorted) snapshots; the stable sort keeps blob order
    # for equal timestamps.
    kept.sort(key=lambda pair: pair[1]["timestamp"])

    # posthog-js window ids are UUIDv7s minted when the tab first records.
    window_ids: dict[str, str] = {}
    for window_id, event in kept:
        if window_id not in window_ids:
            bits = _derive(seed, "window", number, len(window_ids))
            window_ids[window_id] = _uuid7(event["timestamp"] + shift, bits)

    snapshots = [_shifted(event, shift) | {"windowId": window_ids[w]} for w, event in kept]
    session_id = _uuid7(plan.start_ms, _derive(seed, "session", number))
    payload = {
        "version": EXPORT_VERSION,
        "data": {
            "id": session_id,
            "person": _person(plan.user, user_since_ms),
            "snapshots": snapshots,
        },
    }
    booking_ms = base.page_start(_BOOKING_PAGE) if plan.outcome in _BOOKED_OUTCOMES else None
    return DemoRecording(
        session_id=session_id,
        user=plan.user,
        start=_datetime(plan.start_ms),
        end=_datetime(snapshots[-1]["timestamp"]),
        base=plan.base,
        outcome=plan.outcome,
        tags=_tags(plan, kept),
        booked_at=_datetime(booking_ms + shift) if booking_ms is not None else None,
        window_ids=tuple(window_ids.values()),
        event_count=len(snapshots),
        # JSON.stringify(payload, null, 2), as PostHog's player writes the file.
        export_bytes=orjson.dumps(payload, option=orjson.OPT_INDENT_2),
    )


def _shifted(event: dict[str, Any], shift: int) -> dict[str, Any]:
    """A copy of `event` moved in time by `shift` ms; nested values are shared unless changed.

    Besides the event timestamp, the absolute epoch-ms values inside payloads move too (network
    entries' `timestamp`/`timeOrigin`, remote-config `cache_timestamp`), so the copy reads as if
    it had been recorded at its new time.
    """
    out = dict(event)  # keeps the key order of the original
    out["timestamp"] = event["timestamp"] + shift
    kind = event.get("type")
    data = event.get("data")
    if kind == _PLUGIN and isinstance(data, dict) and data.get("plugin") == "rrweb/network@1":
        payload = data.get("payload")
        if isinstance(payload, dict) and isinstance(payload.get("requests"), list):
            requests = [_shift_fields(r, _NETWORK_EPOCH_FIELDS, shift) for r in payload["requests"]]
            out["data"] = {**data, "payload": {**payload, "requests": requests}}
    elif kind == _CUSTOM and isinstance(data, dict) and isinstance(data.get("payload"), dict):
        if "cache_timestamp" in data["payload"]:
            payload = _shift_fields(data["payload"], ("cache_timestamp",), shift)
            out["data"] = {**data, "payload": payload}
    return out


def _shift_fields(obj: Any, names: Sequence[str], shift: int) -> Any:
    """Copy of dict `obj` with the named numeric fields moved by `shift`."""
    if not isinstance(obj, dict):
        return obj
    out = dict(obj)
    for name in names:
        value = out.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[name] = value + shift
    return out


def _person(user: DemoUser, since_ms: int) -> dict[str, Any]:
    """The export's person object (PostHog's `PersonType`); display name follows PostHog's
    default rule (email first)."""
    return {
        "id": user.index,
        "uuid": user.person_uuid,
        "name": user.email,
        "distinct_ids": [user.distinct_id],
        "properties": {"email": user.email, "name": user.name, **_DEVICE_PROPERTIES[user.device]},
        "created_at": _drf_datetime(since_ms),
    }


def _tags(plan: _SessionPlan, kept: Sequence[tuple[str, dict[str, Any]]]) -> tuple[str, ...]:
    """Outcome tags: what the session is and what its kept events show."""
    tags = [plan.outcome, plan.user.device, plan.base]
    if plan.outcome in _BOOKED_OUTCOMES:
        tags.append("booked")
    if any(_is_console_error(event) for _, event in kept):
        tags.append("console_errors")
    if plan.outcome == "full":
        # The rage-click burst and the dead click happen on /help, kept only by `full`.
        tags += ["rage_clicks", "dead_clicks"]
    return tuple(tags)


def _is_console_error(event: dict[str, Any]) -> bool:
    data = event.get("data")
    return (
        event.get("type") == _PLUGIN
        and isinstance(data, dict)
        and data.get("plugin") == "rrweb/console@1"
        and isinstance(data.get("payload"), dict)
        and data["payload"].get("level") in ("error", "assert")
    )


def _derive(seed: object, *parts: object) -> bytes:
    """32 pseudo-random bytes fixed by the seed and a purpose (no global randomness)."""
    text = "\x1f".join(str(part) for part in ("replayport-demo", seed, *parts))
    return hashlib.sha256(text.encode()).digest()


def _uuid7(unix_ms: int, bits: bytes) -> str:
    """A UUIDv7 string with the given millisecond time and random bits taken from `bits`."""
    rand = int.from_bytes(bits[:10], "big")
    rand_a = (rand >> 62) & 0xFFF
    rand_b = rand & ((1 << 62) - 1)
    value = (unix_ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b
    return str(uuid.UUID(int=value))


def _datetime(unix_ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=unix_ms)


def _drf_datetime(unix_ms: int) -> str:
    """Django REST framework's datetime style, as PostHog's API returns it."""
    return _datetime(unix_ms).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
