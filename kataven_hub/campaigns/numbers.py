"""Phone numbers: the E.164 form of what a contacts file holds, through phonenumbers, with a
shortcut for numbers that are E.164 already."""

from __future__ import annotations

import functools
import re

import phonenumbers
from phonenumbers.phonenumberutil import _maybe_strip_national_prefix_carrier_code as _strip_national_prefix


def normalize_number(raw: str, region: str) -> str | None:
    """The E.164 form of a phone number, or None if phonenumbers finds it invalid."""
    raw = raw.strip()
    number = _from_e164(raw)
    if number is None:
        try:
            number = phonenumbers.parse(raw, region)
        except phonenumbers.NumberParseException:
            return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _from_e164(raw: str) -> phonenumbers.PhoneNumber | None:
    """The PhoneNumber that `phonenumbers.parse` would build from a bare `+<digits>` string,
    built without parsing (most CSVs are already E.164, and parsing is the costlier half);
    None for anything else, which takes the full parse."""
    digits = raw[1:]
    if raw[:1] != "+" or not (digits.isascii() and digits.isdigit()) or digits[:1] in ("0", ""):
        return None
    if len(digits) > 17:  # longer than any number; and int() refuses thousands of digits
        return None
    for length in (1, 2, 3):
        country_code = int(digits[:length])
        if country_code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            national = digits[length:]
            if not national or national[0] == "0":  # leading zeros: let parse keep them
                return None
            if _strips_national_prefix(country_code, national):  # +7 8…: parse drops the 8
                return None
            return phonenumbers.PhoneNumber(country_code=country_code, national_number=int(national))
    return None


def _strips_national_prefix(country_code: int, national: str) -> bool:
    """Whether `phonenumbers.parse` would strip a national prefix from this national number
    (it does, even after a `+`, where the metadata of the country says so)."""
    found = _national_prefix(country_code)
    if found is None or found[1].match(national) is None:
        return False
    return _strip_national_prefix(national, found[0])[1] != national


@functools.cache
def _national_prefix(country_code: int) -> tuple[phonenumbers.PhoneMetadata, re.Pattern[str]] | None:
    """The metadata of a country code and its national prefix pattern, if it has one."""
    region = phonenumbers.region_code_for_country_code(country_code)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
    if metadata is None or not metadata.national_prefix_for_parsing:
        return None
    return metadata, re.compile(metadata.national_prefix_for_parsing)


def warm_up() -> None:
    """Load the metadata a first large file would otherwise wait for."""
    for number in ("+14155552671", "+442079460958", "(415) 555-2671"):
        normalize_number(number, "US")
