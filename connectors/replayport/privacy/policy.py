"""The privacy policy: every masking decision replayport makes, as one frozen value.

The defaults are the "private by default" model of DESIGN.md: everything a person typed or read
is masked, URLs lose their query values, network headers/bodies are dropped, identifiers are
hashed. Loosening needs an explicit setting, and every session records `policy.version`, so it
is always known which rules produced a stored replay.

Configuration comes from dlt's config section `[replayport.privacy]`; the config layer resolves
it into a plain dict and calls `PrivacyPolicy.from_mapping`:

```toml
[replayport.privacy]
excluded_routes = ["/admin*", "/checkout*"]
unmask_selectors = [".marketing-copy"]
header_allowlist = ["content-type", "content-length", "x-request-id"]
```
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import cached_property
from typing import Any

import phonenumbers

from replayport.errors import ConfigError
from replayport.privacy.detectors import DEFAULT_PHONE_REGIONS, DETECTOR_NAMES
from replayport.privacy.selectors import SelectorSet

__all__ = [
    "DEFAULT_BLOCK_SELECTORS",
    "DEFAULT_HEADER_ALLOWLIST",
    "DEFAULT_PERSON_PROPERTY_ALLOWLIST",
    "POLICY_SCHEMA",
    "PrivacyPolicy",
]

POLICY_SCHEMA = "p1"
"""Version of the masking *code*: bump when the same settings would mask differently."""

DEFAULT_BLOCK_SELECTORS: tuple[str, ...] = (
    ".ph-no-capture",
    ".rr-block",
    "img",
    "picture",
    "video",
    "audio",
    "canvas",
    "embed",
    "object",
    "image",
)
"""posthog-js's and rrweb's block classes, plus every element that shows media (SVG `image`
included): a picture can show a face, a document scan or a QR code, and cannot be masked."""

DEFAULT_HEADER_ALLOWLIST: tuple[str, ...] = (
    "accept",
    "accept-encoding",
    "accept-language",
    "access-control-allow-methods",
    "access-control-allow-origin",
    "age",
    "cache-control",
    "connection",
    "content-encoding",
    "content-language",
    "content-length",
    "content-type",
    "date",
    "expires",
    "keep-alive",
    "last-modified",
    "pragma",
    "transfer-encoding",
    "vary",
    "x-content-type-options",
)
"""Headers that describe the *transfer* (format, size, caching, timing), never the user.
Not allowed by default: cookies and auth of course, but also `referer` (a full URL),
`user-agent` (fingerprinting), `etag` (usable as a tracking id), `x-request-id`/`x-*` (custom
headers carry anything: the corpus app sends `X-Patient-Email`)."""

DEFAULT_PERSON_PROPERTY_ALLOWLIST: tuple[str, ...] = (
    "$browser",
    "$browser_version",
    "$os",
    "$os_version",
    "$device_type",
    "$initial_browser",
    "$initial_browser_version",
    "$initial_os",
    "$initial_os_version",
    "$initial_device_type",
    "$initial_referring_domain",
    "$initial_utm_source",
    "$initial_utm_medium",
    "$initial_utm_campaign",
    "$geoip_country_code",
    "$geoip_continent_code",
    "$initial_geoip_country_code",
    "$initial_geoip_continent_code",
)
"""Coarse, non-identifying person properties useful for segmenting sessions: software, device
class, acquisition channel, country. Excluded on purpose: anything user-set (`email`, `name`,
`phone`), full URLs/paths/referrers (`$initial_current_url` can hold `?email=`), city, postal
code, time zone and coordinates (re-identifying in combination), click ids (`gclid`, …)."""

_BOOL_TEXT = {"true": True, "1": True, "yes": True, "on": True,
              "false": False, "0": False, "no": False, "off": False}  # fmt: skip


@dataclass(frozen=True)
class PrivacyPolicy:
    """What gets masked, scrubbed, dropped and kept. Immutable and hashable.

    Construct it directly (tuples of strings for list settings) or with `from_mapping` from a
    config dict. Invalid settings raise `ConfigError` naming the setting.
    """

    enabled: bool = True
    """False turns all masking off (events pass through untouched). Exists only so tests can
    prove the leak tests can fail; never set it for real data."""

    mask_all_text: bool = True
    """Mask every DOM text node and text-bearing attribute (each non-space char → `*`), except
    under `unmask_selectors`. False leaves text readable but still runs the detectors over it."""

    mask_selectors: tuple[str, ...] = (".ph-mask",)
    """Elements whose text is always masked, even with `mask_all_text=False` or inside an unmask
    selector (masking wins). Default: posthog-js's `maskTextClass`."""

    unmask_selectors: tuple[str, ...] = ()
    """Elements whose text (and text-bearing attributes) stay readable — still detector-scrubbed.
    Input values, `<option>` and `<textarea>` text are masked regardless."""

    block_selectors: tuple[str, ...] = DEFAULT_BLOCK_SELECTORS
    """Elements replaced by rrweb's blocked placeholder (`{class, rr_width, rr_height}`, no
    children): see `DEFAULT_BLOCK_SELECTORS`."""

    excluded_routes: tuple[str, ...] = ()
    """URL path globs (`/admin*`, `/checkout*`): events of a window while it is on a matching
    page are dropped, not masked; a session spent only there keeps only its `sessions` row."""

    url_query_allowlist: tuple[str, ...] = ()
    """Query keys whose values survive URL scrubbing (detector-scrubbed), e.g. `page`, `tab`.
    All other non-empty query values become `[redacted]`."""

    header_allowlist: tuple[str, ...] = DEFAULT_HEADER_ALLOWLIST
    """Network request/response headers kept (case-insensitive); their values are still
    detector-scrubbed. Every other header is dropped."""

    capture_network_bodies: bool = False
    """Keep request/response bodies, detector-scrubbed and with values under secret or personal
    keys (`password`, `email`, `name`, …) redacted. Off by default: bodies carry whole records
    (names, dates of birth, free-text health data) that no detector can recognise."""

    person_property_allowlist: tuple[str, ...] = DEFAULT_PERSON_PROPERTY_ALLOWLIST
    """Person properties copied to the session (values detector-scrubbed); all others dropped."""

    detectors: tuple[str, ...] = DETECTOR_NAMES
    """Free-text detectors to run (see `detectors.DETECTOR_NAMES`); default all."""

    phone_regions: tuple[str, ...] = DEFAULT_PHONE_REGIONS
    """Regions (ISO 3166 codes) whose *national* phone formats the `phone` detector accepts;
    international `+…` numbers are recognised for every region. Each extra region adds false
    positives on number-like text, so keep the list to the markets the app serves."""

    max_text_length: int = 65_535
    """Free-text values (console messages, payload strings, kept bodies) are cut to this many
    characters before scrubbing (PostHog's own `properties_string_max_length`). Bounds the time
    spent per string and what is stored; DOM text is masked whatever its length."""

    def __post_init__(self) -> None:
        for spec in fields(self):
            value = getattr(self, spec.name)
            if spec.type == "bool" and not isinstance(value, bool):
                raise ConfigError(f"privacy.{spec.name}: expected true or false")
            if spec.type == "tuple[str, ...]":
                if isinstance(value, str) or not isinstance(value, (tuple, list)):
                    raise ConfigError(f"privacy.{spec.name}: expected a list of strings")
                if not all(isinstance(item, str) for item in value):
                    raise ConfigError(f"privacy.{spec.name}: expected a list of strings")
                if isinstance(value, list):
                    object.__setattr__(self, spec.name, tuple(value))
        if not isinstance(self.max_text_length, int) or isinstance(self.max_text_length, bool):
            raise ConfigError("privacy.max_text_length: expected an integer")
        if self.max_text_length < 256:
            raise ConfigError("privacy.max_text_length: must be at least 256")
        object.__setattr__(
            self, "header_allowlist", tuple(h.strip().lower() for h in self.header_allowlist)
        )
        unknown = sorted(set(self.detectors) - set(DETECTOR_NAMES))
        if unknown:
            raise ConfigError(
                f"privacy.detectors: unknown detector(s) {', '.join(unknown)}; "
                f"known: {', '.join(DETECTOR_NAMES)}"
            )
        regions = tuple(r.strip().upper() for r in self.phone_regions)
        bad_regions = sorted(r for r in regions if r not in phonenumbers.SUPPORTED_REGIONS)
        if bad_regions:
            raise ConfigError(f"privacy.phone_regions: unknown region(s) {', '.join(bad_regions)}")
        object.__setattr__(self, "phone_regions", regions)
        for route in self.excluded_routes:
            if not route.startswith(("/", "*")):
                raise ConfigError(
                    f"privacy.excluded_routes: {route!r} must be a path pattern starting with "
                    "'/' or '*'"
                )
        for name in ("mask_selectors", "unmask_selectors", "block_selectors"):
            SelectorSet(getattr(self, name), setting=f"privacy.{name}")

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any] | None) -> PrivacyPolicy:
        """Build a policy from a plain config dict (`[replayport.privacy]` resolved by dlt).

        Missing keys take their defaults. List settings accept a list or a comma-separated
        string (environment variables); booleans accept true/false, yes/no, on/off, 1/0;
        integers accept digit strings.

        Raises:
            ConfigError: Unknown key, or a value of the wrong type (the message names the key).
        """
        if mapping is None:
            return cls()
        if not isinstance(mapping, Mapping):
            raise ConfigError("privacy: expected a table of settings")
        specs = {spec.name: spec for spec in fields(cls)}
        values: dict[str, Any] = {}
        for key, raw in mapping.items():
            spec = specs.get(key)
            if spec is None:
                raise ConfigError(
                    f"privacy.{key}: unknown setting; known: {', '.join(sorted(specs))}"
                )
            values[key] = _coerce(key, str(spec.type), raw)
        return cls(**values)

    def to_mapping(self) -> dict[str, Any]:
        """The settings as a plain JSON-able dict (lists for tuples); inverse of `from_mapping`."""
        return {
            key: list(value) if isinstance(value, tuple) else value
            for key, value in dataclasses.asdict(self).items()
        }

    @cached_property
    def version(self) -> str:
        """Stable id of the effective policy: `"<schema>-<8 hex of sha256(canonical config)>"`.

        Recorded on every session (`privacy_policy_version`). Equal settings give equal versions
        whatever their order of definition; changing any setting or `POLICY_SCHEMA` changes it.
        """
        canonical = json.dumps(
            {"schema": POLICY_SCHEMA, **self.to_mapping()},
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=True,
        )
        return f"{POLICY_SCHEMA}-{hashlib.sha256(canonical.encode()).hexdigest()[:8]}"


def _coerce(key: str, type_name: str, raw: Any) -> Any:
    if type_name == "bool":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in _BOOL_TEXT:
            return _BOOL_TEXT[raw.strip().lower()]
        raise ConfigError(f"privacy.{key}: expected true or false")
    if type_name == "int":
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().isdigit():
            return int(raw.strip())
        raise ConfigError(f"privacy.{key}: expected an integer")
    if type_name == "tuple[str, ...]":
        if isinstance(raw, str):
            return tuple(item.strip() for item in raw.split(",") if item.strip())
        if isinstance(raw, (list, tuple)) and all(isinstance(item, str) for item in raw):
            return tuple(raw)
        raise ConfigError(f"privacy.{key}: expected a list of strings")
    raise ConfigError(f"privacy.{key}: unsupported setting type")  # pragma: no cover
