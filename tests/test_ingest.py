import csv
import io
import json

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kataven_hub.campaigns.ingest import MAX_CSV_BYTES
from kataven_hub.campaigns.ingest import parse_contacts as parse_to_json
from kataven_hub.campaigns.numbers import _from_e164, normalize_number
from kataven_hub.errors import InvalidInput, TooLarge


def parse_contacts(data: bytes, **kwargs: object) -> list[tuple[str, dict[str, str]]]:
    """The contacts with their custom fields read back from JSON, by name."""
    parsed = parse_to_json(data, **kwargs)  # type: ignore[arg-type]
    return [(number, dict(zip(parsed.columns, json.loads(values)))) for number, values in parsed.contacts]


def test_numbers_are_normalized_to_e164_in_the_default_region() -> None:
    data = b"phone_number\n(415) 555-2671\n+44 20 7946 0958\n415.555.2672\n"
    assert [n for n, _ in parse_contacts(data)] == ["+14155552671", "+442079460958", "+14155552672"]


def test_the_region_setting_reads_national_numbers() -> None:
    assert parse_contacts(b"phone_number\n020 7946 0958\n", region="GB")[0][0] == "+442079460958"


def test_other_columns_become_custom_fields() -> None:
    data = b"first_name,phone_number,plan\nAda,+14155552671,gold\n"
    assert parse_contacts(data) == [("+14155552671", {"first_name": "Ada", "plan": "gold"})]


def test_bom_crlf_and_quoted_newlines_are_fine() -> None:
    data = '\ufeffphone_number,note\r\n+14155552671,"two\r\nlines, and a comma"\r\n'.encode()
    assert parse_contacts(data) == [("+14155552671", {"note": "two\r\nlines, and a comma"})]


def test_duplicate_numbers_keep_the_first_row() -> None:
    data = b"phone_number,n\n+14155552671,1\n(415) 555-2671,2\n+14155552672,3\n"
    assert parse_contacts(data) == [("+14155552671", {"n": "1"}), ("+14155552672", {"n": "3"})]


def test_a_bad_number_names_its_line() -> None:
    data = b"phone_number\n+14155552671\n+14155552672\nnot-a-number\n"
    with pytest.raises(InvalidInput, match=r"^contacts line 4: 'not-a-number' is not a phone number$"):
        parse_contacts(data)


def test_line_numbers_count_physical_lines_of_multiline_records() -> None:
    data = b'phone_number,note\n+14155552671,"a\nb\nc"\n12,x\n'
    with pytest.raises(InvalidInput, match="line 5: '12'"):
        parse_contacts(data)


def test_many_bad_numbers_report_the_first_five_and_a_count() -> None:
    data = b"phone_number\n" + b"".join(b"x%d\n" % i for i in range(8))
    with pytest.raises(InvalidInput) as caught:
        parse_contacts(data)
    assert caught.value.message.startswith("contacts line 2: 'x0' is not a phone number; line 3:")
    assert "line 7: 'x5'" not in caught.value.message
    assert caught.value.message.endswith("(and 3 more)")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"\n\n", "the file is empty"),
        (b"phone_number\n", "has a header but no contact rows"),
        (b"phone_number\n\n,\n", "has a header but no contact rows"),
        (b"name,phone\nAda,+14155552671\n", "no 'phone_number' column"),
        (b"phone_number,a,a\n+14155552671,1,2\n", "'a' appears more than once"),
        (b"phone_number,,b\n+14155552671,1,2\n", "header column 2 has no name"),
        (b"phone_number,a\n+14155552671,1,2\n", "line 2: 3 fields, the header has 2"),
        (b"phone_number,a\n+14155552671\n", "line 2: 1 fields, the header has 2"),
        (b"phone_number\n\xff\xfe\n", "line 2: not UTF-8 text (byte 13)"),
        (b'phone_number\n"+14155552671"x\n', "line 2: "),
        (b"phone_number\n\x00\n", "line 2: a NUL byte"),
    ],
)
def test_bad_files_are_rejected_with_a_reason(data: bytes, message: str) -> None:
    with pytest.raises(InvalidInput, match="^contacts") as caught:
        parse_contacts(data)
    assert message in caught.value.message


def test_a_file_over_the_limit_is_too_large() -> None:
    with pytest.raises(TooLarge):
        parse_contacts(b"phone_number\n" + b" " * MAX_CSV_BYTES)


# --- properties -----------------------------------------------------------------------------

VALID = [
    phonenumbers.format_number(phonenumbers.example_number(region), phonenumbers.PhoneNumberFormat.E164)
    for region in ("US", "GB", "DE", "FR", "BR", "IN", "JP", "AU")
]
text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)


def _csv(header: list[str], rows: list[list[str]], newline: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


@settings(max_examples=150, deadline=None)
@given(
    numbers=st.lists(st.sampled_from(VALID), min_size=1, max_size=20),
    extra=st.lists(st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True), max_size=3, unique=True),
    values=st.data(),
    newline=st.sampled_from(["\n", "\r\n"]),
    bom=st.booleans(),
)
def test_written_csv_parses_back(
    numbers: list[str], extra: list[str], values: st.DataObject, newline: str, bom: bool
) -> None:
    extra = [c for c in extra if c != "phone_number"]
    # csv.writer leaves a bare CR unquoted when the line end is LF; a reader rightly splits there
    clean = (lambda v: v.replace("\r", "")) if newline == "\n" else (lambda v: v)
    rows = [[n, *[clean(values.draw(text)) for _ in extra]] for n in numbers]
    data = (b"\xef\xbb\xbf" if bom else b"") + _csv(["phone_number", *extra], rows, newline)
    if not any(any(f.strip() for f in row) for row in rows):
        return
    expected: dict[str, dict[str, str]] = {}
    for row in rows:
        expected.setdefault(row[0], dict(zip(extra, row[1:])))
    assert parse_contacts(data) == list(expected.items())


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_parse_or_fail_cleanly(data: bytes) -> None:
    try:
        contacts = parse_contacts(data)
    except InvalidInput as err:
        assert err.message.startswith("contacts")
        return
    assert contacts
    assert len({number for number, _ in contacts}) == len(contacts)
    assert all(number.startswith("+") for number, _ in contacts)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=25))
def test_normalize_is_idempotent(raw: str) -> None:
    number = normalize_number(raw, "US")
    if number is not None:
        assert normalize_number(number, "US") == number
        assert phonenumbers.is_valid_number(phonenumbers.parse(number))


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.from_regex(r"\+[0-9]{0,18}", fullmatch=True), st.sampled_from(VALID), st.text(max_size=20)))
def test_the_e164_shortcut_agrees_with_a_full_parse(raw: str) -> None:
    def by_parse(value: str) -> str | None:
        try:
            number = phonenumbers.parse(value.strip(), "US")
        except phonenumbers.NumberParseException:
            return None
        if not phonenumbers.is_valid_number(number):
            return None
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    assert normalize_number(raw, "US") == by_parse(raw)


def test_the_e164_shortcut_builds_what_parse_builds() -> None:
    for number in [*VALID, "+390612345678", "+14155552671", "+1999", "+80012345678"]:
        shortcut = _from_e164(number)
        if shortcut is not None:
            assert shortcut == phonenumbers.parse(number, "US"), number


def test_absurdly_long_numbers_are_just_invalid() -> None:
    assert normalize_number("+1" + "5" * 5000, "US") is None
    with pytest.raises(InvalidInput, match="line 2"):
        parse_contacts(b"phone_number\n+1" + b"5" * 5000 + b"\n")


def test_the_worker_pool_gives_what_one_process_gives() -> None:
    from kataven_hub.campaigns.ingest import PARALLEL_ROWS, ingest_pool

    rows = [f"+1415{2000000 + i % 12000:07d},name {i},\"quoted, {i}\"" for i in range(int(PARALLEL_ROWS * 2.5))]
    good = ("phone_number,name,note\n" + "\n".join(rows) + "\n").encode()
    bad = good.replace(b"+14152000007,", b"nope,").replace(b"+14152011000,", b"x,")
    pool = ingest_pool(2)
    assert pool is not None
    with pool:
        assert parse_to_json(good, pool=pool) == parse_to_json(good)
        assert len(parse_to_json(good, pool=pool).contacts) == 12000
        with pytest.raises(InvalidInput) as serial:
            parse_to_json(bad)
        with pytest.raises(InvalidInput) as parallel:
            parse_to_json(bad, pool=pool)
    assert parallel.value.message == serial.value.message
    assert "line 9: 'nope'" in serial.value.message and "line 11002: 'x'" in serial.value.message


def test_the_e164_shortcut_leaves_a_national_prefix_to_parse() -> None:
    # parse strips Russia's trunk prefix 8 even after +7: the shortcut must not keep it
    assert normalize_number("+783010000000", "US") == "+73010000000"
    assert _from_e164("+783010000000") is None
