"""The `hub` command and the settings it reads."""

from pathlib import Path

import pytest

from kataven_hub import cli
from kataven_hub import settings as settings_module
from kataven_hub.errors import ConfigurationError
from kataven_hub.settings import Settings, finalize, from_environment


def test_settings_come_from_the_environment_and_flags_win() -> None:
    env = {"HUB_PORT": "9000", "HUB_DEV": "1", "HUB_CORS_ORIGINS": "http://a, http://b", "HUB_DATA_DIR": "/x"}
    settings = from_environment(env, port=9001)
    assert settings.port == 9001 and settings.dev and settings.data_dir == Path("/x")
    assert settings.cors_origins == ("http://a", "http://b")


def test_a_bad_integer_setting_is_a_clear_error() -> None:
    with pytest.raises(ConfigurationError, match="port: 'eighty' is not an integer"):
        from_environment({"HUB_PORT": "eighty"})


def test_secrets_are_hidden_from_repr() -> None:
    text = repr(Settings(pepper="p3pp3r", jwt_secret="s3cr3t"))
    assert "p3pp3r" not in text and "s3cr3t" not in text


def test_outside_dev_mode_a_pepper_is_required(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="HUB_PEPPER is required"):
        finalize(Settings(data_dir=tmp_path))


def test_dev_mode_generates_a_pepper_once_and_keeps_it(tmp_path: Path) -> None:
    first = finalize(Settings(data_dir=tmp_path, dev=True)).pepper
    assert len(first) == 64
    assert finalize(Settings(data_dir=tmp_path, dev=True)).pepper == first
    assert (tmp_path / "pepper").stat().st_mode & 0o077 == 0
    with pytest.raises(ConfigurationError):
        finalize(Settings(data_dir=tmp_path))  # a dev pepper never stands in outside dev mode


def test_dev_mode_allows_every_origin_and_checks_responses() -> None:
    dev = Settings(dev=True)
    assert dev.allowed_origins == ("*",) and dev.check_responses
    prod = Settings()
    assert prod.allowed_origins == () and not prod.check_responses


def test_a_missing_public_key_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="no PEM text and no file"):
        finalize(Settings(data_dir=tmp_path, pepper="p", jwt_public_key=str(tmp_path / "nope.pem")))


def test_keys_create_list_revoke(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings_module, "environ", lambda: {"HUB_PEPPER": "pep"})
    data = ["--data-dir", str(tmp_path)]
    assert cli.main(["keys", "create", "--account", "acme", "--name", "ci", *data]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    key = out[-1]
    assert key.startswith("sk_live_acme_") and len(key) == len("sk_live_acme_") + 48
    key_id = out[0].split()[1].rstrip()
    assert cli.main(["keys", "list", *data]) == 0
    listing = capsys.readouterr().out
    assert key_id in listing and "live" in listing and key not in listing
    assert cli.main(["keys", "revoke", key_id, *data]) == 0
    assert cli.main(["keys", "list", "--account", "acme", *data]) == 0
    assert "revoked" in capsys.readouterr().out
    assert cli.main(["keys", "revoke", key_id, *data]) == 2
    assert "no live key" in capsys.readouterr().err


def test_keys_need_a_pepper(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings_module, "environ", lambda: {})
    assert cli.main(["keys", "create", "--account", "acme", "--data-dir", str(tmp_path)]) == 2
    assert "no pepper" in capsys.readouterr().err


def test_keys_refuse_a_reserved_account(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings_module, "environ", lambda: {"HUB_PEPPER": "pep"})
    assert cli.main(["keys", "create", "--account", "kataven-admin", "--data-dir", str(tmp_path)]) == 2
    assert "reserved" in capsys.readouterr().err


@pytest.mark.parametrize("field", ["sim_time_scale", "dispatch_interval", "events_interval", "events_heartbeat"])
def test_intervals_and_the_time_scale_must_be_positive(tmp_path: Path, field: str) -> None:
    with pytest.raises(ConfigurationError, match=f"{field}: 0 must be positive"):
        finalize(Settings(data_dir=tmp_path, pepper="p", **{field: 0}))  # type: ignore[arg-type]


def test_limits_set_and_show(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = ["--data-dir", str(tmp_path)]
    assert cli.main(["limits", "set", "--account", "acme", "--concurrent-max", "3", *data]) == 0
    assert "concurrent_max\t3" in capsys.readouterr().out
    assert cli.main(["limits", "show", "--account", "acme", *data]) == 0
    out = capsys.readouterr().out
    assert "concurrent_max\t3" in out and "calls_per_minute\t60" in out
    assert cli.main(["limits", "set", "--account", "acme", "--daily-calls-max", "-1", *data]) == 2
    assert "negative" in capsys.readouterr().err


INVALID = Path(__file__).parent / "specs" / "invalid" / "generated.yaml"


def test_routes_lenient_marks_the_operations_lenient_serves_as_501(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from kataven_hub.app import create_app
    from tests.conftest import make_settings

    assert cli.main(["routes", "--spec", str(INVALID)]) == 2
    refused = capsys.readouterr().err.splitlines()
    assert len(refused) == 1 and "invalid OpenAPI at $" in refused[0] and "--lenient" in refused[0]
    assert cli.main(["routes", "--lenient", "--spec", str(INVALID)]) == 0
    listed = {line.split()[2]: line.split(None, 3)[3] for line in capsys.readouterr().out.splitlines()}
    marked = sorted(operation for operation, served_by in listed.items() if served_by.startswith("501: not served: "))
    assert marked == ["deleteOwner", "getPet"] and listed["getOwner"] == listed["listPets"] == "mock"
    assert "$.paths['/pets/{id}'].get" in listed["getPet"]
    with create_app(make_settings(tmp_path, spec=INVALID, dev=True, lenient=True)).test_client() as client:  # what serve does
        answered = {"getPet": client.get("/pets/1"), "deleteOwner": client.delete("/owners/1"),
                    "getOwner": client.get("/owners/1"), "listPets": client.get("/pets")}  # fmt: skip
    assert sorted(operation for operation, answer in answered.items() if answer.status_code == 501) == marked
