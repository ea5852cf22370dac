"""PrivacyPolicy: defaults, config parsing, version."""

from __future__ import annotations

import dataclasses

import pytest

from replayport.errors import ConfigError
from replayport.privacy.detectors import DETECTOR_NAMES
from replayport.privacy.policy import POLICY_SCHEMA, PrivacyPolicy


def test_defaults_are_private() -> None:
    policy = PrivacyPolicy()
    assert policy.enabled and policy.mask_all_text and not policy.capture_network_bodies
    assert ".ph-no-capture" in policy.block_selectors and "img" in policy.block_selectors
    assert policy.unmask_selectors == () and policy.excluded_routes == ()
    assert "content-type" in policy.header_allowlist
    assert not {"authorization", "cookie", "set-cookie", "referer", "user-agent"} & set(
        policy.header_allowlist
    )
    assert not {"email", "name", "phone", "$email"} & set(policy.person_property_allowlist)
    assert policy.detectors == DETECTOR_NAMES


def test_every_field_is_documented() -> None:
    import inspect

    source = inspect.getsource(PrivacyPolicy)
    for field in dataclasses.fields(PrivacyPolicy):
        after = source.split(f"    {field.name}:", 1)[1].split("\n", 2)[1]
        assert after.strip().startswith('"""'), field.name


def test_version_is_stable_and_sensitive() -> None:
    version = PrivacyPolicy().version
    assert version.startswith(f"{POLICY_SCHEMA}-") and len(version.split("-")[1]) == 8
    assert PrivacyPolicy().version == version
    assert PrivacyPolicy.from_mapping({}).version == version
    assert PrivacyPolicy(excluded_routes=("/admin*",)).version != version
    assert (
        PrivacyPolicy(header_allowlist=("Content-Type",)).version
        == PrivacyPolicy(header_allowlist=("content-type",)).version
    )
    assert PrivacyPolicy(enabled=False).version != version


def test_from_mapping_types() -> None:
    policy = PrivacyPolicy.from_mapping(
        {
            "enabled": "true",
            "mask_all_text": False,
            "excluded_routes": "/admin*, /checkout*",
            "block_selectors": ["img", ".secret > p"],
            "max_text_length": "4096",
            "phone_regions": ["us", "GB"],
            "header_allowlist": ("Content-Type",),
        }
    )
    assert policy.enabled is True and policy.mask_all_text is False
    assert policy.excluded_routes == ("/admin*", "/checkout*")
    assert policy.block_selectors == ("img", ".secret > p")
    assert policy.max_text_length == 4096
    assert policy.phone_regions == ("US", "GB")
    assert policy.header_allowlist == ("content-type",)
    assert PrivacyPolicy.from_mapping(policy.to_mapping()) == policy
    assert PrivacyPolicy.from_mapping(None) == PrivacyPolicy()
    hash(policy)


@pytest.mark.parametrize(
    ("mapping", "key"),
    [
        ({"nope": 1}, "privacy.nope"),
        ({"enabled": "maybe"}, "privacy.enabled"),
        ({"enabled": 1}, "privacy.enabled"),
        ({"excluded_routes": [1, 2]}, "privacy.excluded_routes"),
        ({"excluded_routes": ["admin"]}, "privacy.excluded_routes"),
        ({"block_selectors": ["a:hover"]}, "privacy.block_selectors"),
        ({"unmask_selectors": ["a + b"]}, "privacy.unmask_selectors"),
        ({"max_text_length": "ten"}, "privacy.max_text_length"),
        ({"max_text_length": 10}, "privacy.max_text_length"),
        ({"detectors": ["email", "dna"]}, "privacy.detectors"),
        ({"phone_regions": ["XX"]}, "privacy.phone_regions"),
    ],
)
def test_bad_values_name_the_key(mapping: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")) as error:
        PrivacyPolicy.from_mapping(mapping)
    assert error.value.exit_code == 2


def test_direct_construction_is_validated_too() -> None:
    with pytest.raises(ConfigError, match="privacy.block_selectors"):
        PrivacyPolicy(block_selectors=("a::after",))
    with pytest.raises(ConfigError, match="privacy.enabled"):
        PrivacyPolicy(enabled="yes")  # type: ignore[arg-type]
    routes = ["/a*"]
    assert PrivacyPolicy(excluded_routes=routes).excluded_routes == ("/a*",)  # type: ignore
