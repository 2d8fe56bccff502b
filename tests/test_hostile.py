"""Hostile input: every file of the corpus gets its clear 4xx and leaves nothing stored, any
adversarial CSV is a contact list or an InvalidInput, and the server serves others meanwhile."""

from __future__ import annotations

import csv
import io
import json
import threading
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kataven_hub.campaigns.ingest import MAX_COLUMNS, MAX_CUSTOM_FIELDS, ContactsFile, parse_contacts
from kataven_hub.errors import InvalidInput
from support.hostile import CORPUS, Hostile, _million_columns
from support.servers import hub as run_hub
from support.servers import serving
from tests.conftest import AGENT, NUMBER_ID, Hub

BACKENDS = ("sqlite", "postgres")
"""Each test that uses `hub` runs on both storage drivers (`tests.conftest`)."""


def _nothing_stored(hub: Hub) -> None:
    assert hub.rows("acme", "campaigns") == []
    assert hub.rows("acme", "contacts") == []


@pytest.mark.parametrize("hostile", CORPUS, ids=[h.name for h in CORPUS])
def test_every_hostile_file_gets_its_clear_answer_and_changes_nothing(hub: Hub, hostile: Hostile) -> None:
    response = hub.create(hub.key(), csv=hostile.build())
    assert response.status_code == hostile.status, response.text
    assert response.headers["content-type"] == "application/json"
    message = response.json()
    assert hostile.says in message
    assert len(message) < 1000  # a bad value is quoted back shortened, never whole
    _nothing_stored(hub)


def test_thousands_of_form_parts_are_refused(hub: Hub) -> None:
    key = hub.key()
    fields = [(f"extra{i}", "x") for i in range(5000)]
    response = hub.client.post(
        "/api/v1/campaigns",
        headers={"Authorization": f"Bearer {key}"},
        data=dict([("name", "n"), ("agent_id", AGENT), ("phone_number_id", NUMBER_ID), *fields]),
        files={"contacts": ("c.csv", b"phone_number\n+14155552671\n", "text/csv")},
    )
    assert response.status_code == 400
    assert response.json() == "multipart body: Too many fields. Maximum number of fields is 1000."
    _nothing_stored(hub)


def test_a_5_mb_name_is_refused(hub: Hub) -> None:
    response = hub.create(hub.key(), name="n" * (5 * 1024 * 1024))
    assert response.status_code == 400
    assert response.json() == "multipart body: Part exceeded maximum size of 1024KB."
    _nothing_stored(hub)


_field = st.one_of(
    st.text(alphabet=st.sampled_from('ab ,"\r\n\té'), max_size=30),
    st.builds(lambda c, n: c * n, st.sampled_from(["x", '"', ",", "\n", "\\", " "]), st.integers(0, 3_000)),
    st.sampled_from(["+14155552671", "(415) 555-2672", "+442079460958", "+1", "", "phone_number"]),
)


_numbers = st.sampled_from(["+14155552671", "(415) 555-2672", "+442079460958", "415.555.2673", "+33142685300"])


@st.composite
def adversarial_csv(draw: st.DrawFn) -> bytes:
    """Many columns, long fields, many short rows, quotes, blank lines, line ends of every kind;
    and at most one kind of damage, so that both answers are reached."""
    damage = draw(st.sampled_from(["none", "none", "none", "name", "numbers", "shapes", "by hand", "tail"]))
    width = draw(st.one_of(st.integers(1, 6), st.integers(MAX_COLUMNS - 4, MAX_COLUMNS + 2)))
    names = ["phone_number", *(f"c{i}" for i in range(1, width))]
    if damage == "name":  # empty, repeated, quoted, too long
        names[draw(st.integers(0, width - 1))] = draw(st.sampled_from(["", "c1", '"q"', "x" * 101, "phone_number"]))
    phone = st.one_of(_numbers, _field) if damage == "numbers" else _numbers
    shapes = ["row"] * 6 + (["short", "wide"] if damage == "shapes" else []) + ["blank"]
    rows = [names]
    for _ in range(draw(st.integers(0, 40))):
        count = {"row": width, "short": 1, "blank": 0, "wide": width + 1}[draw(st.sampled_from(shapes))]
        drawn = [draw(phone)] + [draw(_field) for _ in range(min(count, 4) - 1)]
        rows.append((drawn + drawn[-1:] * (count - len(drawn)))[:count])  # a wide row repeats its last field
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    if damage == "by hand":  # stray quotes, commas and line ends inside fields stay as they are
        text = newline.join(",".join(row) for row in rows)
    else:  # as a spreadsheet writes it (csv quotes a bare CR only where CR ends the line)
        out = io.StringIO()
        quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])) if newline == "\r\n" else csv.QUOTE_ALL
        csv.writer(out, lineterminator=newline, quoting=quoting).writerows(rows)
        text = out.getvalue()
    tail = draw(st.sampled_from([b'"', b"\xff", b"\0", b"\xef\xbb"])) if damage == "tail" else b""
    return text.encode() + tail


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(adversarial_csv())
def test_an_adversarial_csv_is_contacts_or_invalid_input(data: bytes) -> None:
    try:
        parsed = parse_contacts(data)
    except InvalidInput as err:
        assert err.message.startswith("contacts") and len(err.message) < 1000
        return
    assert isinstance(parsed, ContactsFile) and parsed.contacts
    assert len(parsed.columns) < MAX_COLUMNS and "phone_number" not in parsed.columns
    for number, fields in parsed.contacts:
        assert number.startswith("+")
        assert len(fields) <= MAX_CUSTOM_FIELDS
        values = json.loads(fields)
        assert len(values) == len(parsed.columns) and all(isinstance(v, str) and "\0" not in v for v in values)


@pytest.mark.live
def test_the_server_serves_others_while_a_million_columns_are_refused(tmp_path: Path) -> None:
    env = {"HUB_PEPPER": "hostile"}
    data_dir = tmp_path / "data"
    key = run_hub("keys", "create", "--account", "acme", "--data-dir", str(data_dir), env=env).stdout.split()[-1]
    auth = {"Authorization": f"Bearer {key}"}
    with serving(data_dir, env) as (base, log):
        answers: list[httpx.Response] = []

        def upload() -> None:
            form = {"name": "hostile", "agent_id": AGENT, "phone_number_id": NUMBER_ID}
            files = {"contacts": ("c.csv", _million_columns(), "text/csv")}
            answers.append(httpx.post(f"{base}/api/v1/campaigns", headers=auth, data=form, files=files, timeout=60))

        uploading = threading.Thread(target=upload)
        uploading.start()
        served = 0
        with httpx.Client(base_url=base, headers=auth, timeout=30) as client:
            while uploading.is_alive() or served < 3:
                assert client.get("/api/v1/campaigns").status_code == 200
                served += 1
        uploading.join()
        [answer] = answers
        assert answer.status_code == 400 and "over the limit of 200" in answer.json()
        assert httpx.get(f"{base}/api/v1/campaigns", headers=auth).json() == {"campaigns": []}
    assert "Traceback" not in log.read_text()
