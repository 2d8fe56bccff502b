"""Settings: one declaration each (name, type, default, `HUB_*` variable, description), read once
from the environment and the flags by pydantic-settings, validated at start-up in one line."""

from __future__ import annotations

import os
import resource
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, ValidationError
from pydantic_settings import BaseSettings, EnvSettingsSource, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from kataven_hub.errors import ConfigurationError

PROJECT_SPEC = Path(__file__).resolve().parent.parent / "openapi.yaml"
DEFAULT_SPEC = PROJECT_SPEC if PROJECT_SPEC.exists() else Path("openapi.yaml")
"""This project's document in its checkout; installed without it, the current directory's."""
PREFIX = "HUB_"
RESERVED_FILES = 64
"""Open files kept for the process itself: Python, system.db, the ingest workers' pipes, logs."""

_TRUE = {"1", "true", "yes", "on"}


def _flag(value: Any) -> Any:
    """`1`, `true`, `yes`, `on` (any case) are true and any other text false, as before pydantic."""
    return value.strip().lower() in _TRUE if isinstance(value, str) else value


def _comma_list(value: Any) -> Any:
    return tuple(v.strip() for v in value.split(",") if v.strip()) if isinstance(value, str) else value


def open_file_limit() -> int:
    """The process's soft limit of open files (`ulimit -n`)."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return soft if soft != resource.RLIM_INFINITY else 1 << 20


Flag = Annotated[bool, BeforeValidator(_flag)]
Origins = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_comma_list)]


class Settings(BaseSettings):
    """Every setting; its variable is `HUB_` and its name in capitals. The table of
    docs/reference/settings.md is tested against these declarations."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, env_ignore_empty=True, frozen=True, extra="forbid")

    data_dir: Path = Field(Path("data"), description="directory for the SQLite files (default ./data)")
    database_url: str = Field(
        "", repr=False,
        description="PostgreSQL URL (postgresql://user@host/db): every account there, shared by replicas (default: SQLite)",
    )
    spec: Path = Field(DEFAULT_SPEC, description="the OpenAPI document to serve (default: ./openapi.yaml; in this project's checkout, its own)")
    lenient: Flag = Field(False, description="1 to serve an invalid document as far as it can be: a warning per problem, a 501 per operation it breaks")
    watch: Flag = Field(False, description="1 to serve the document again each time it, or a file it refers to, changes (hub serve --watch)")
    record: Path | None = Field(
        None, description="a folder: what each consumer uses of the document, recorded into FOLDER/<consumer>.json (hub serve --record)"
    )
    host: str = Field("127.0.0.1", description="address to listen on (default 127.0.0.1)")
    port: int = Field(8081, description="port to listen on (default 8081)")
    dev: Flag = Field(False, description="1 for dev mode: generated pepper, CORS for all origins, response checks")
    pepper: str = Field("", repr=False, description="secret mixed into every stored API-key hash (required outside dev)")
    jwt_secret: str = Field("", repr=False, description="HS256 secret that JWTs are verified with")
    jwt_public_key: str = Field("", repr=False, description="RS256 public key (PEM text or a file path)")
    jwt_accounts_claim: str = Field("accounts", description="claim listing granted accounts")
    jwt_audience: str = Field("", description="required `aud` of JWTs, if set")
    jwt_issuer: str = Field("", description="required `iss` of JWTs, if set")
    cors_origins: Origins = Field((), description="comma-separated allowed origins (dev: *)")
    default_region: str = Field("US", description="region for numbers without +country code")
    validate_responses: Annotated[bool | None, BeforeValidator(_flag)] = Field(
        None, description="1 to check every response against the spec"
    )
    dispatch: Flag = Field(True, description="0 to serve the API without dialing (default 1)")
    dispatch_interval: float = Field(0.1, description="seconds between dispatch rounds (default 0.1)")
    sim_seed: int = Field(0, description="seed of the simulated carrier (default 0)")
    sim_time_scale: float = Field(1.0, description="campaign seconds per real second (default 1)")
    sim_outcomes: str = Field("", description="outcome weights, e.g. completed=0.6,no_answer=0.2,...")
    events_interval: float = Field(2.0, description="seconds between event-stream snapshots (default 2)")
    events_heartbeat: float = Field(15.0, description="seconds between heartbeat comments (default 15)")
    console: Flag = Field(False, description="1 to serve the campaign console at /console/ outside dev mode")
    rate_limits: Flag = Field(False, description="1 to enforce each account's request-rate limits (default off)")
    latency: str = Field("", description="dev mode: delay every API answer, MS or LOW-HIGH milliseconds")
    error_rate: float = Field(0.0, description="dev mode: share of API requests answered with the documented 500")
    fault_seed: int = Field(0, description="seed of the injected latency and faults (default 0)")
    mock_seed: int = Field(0, description="seed of the bodies the mock generates (default 0)")
    control_anywhere: Flag = Field(
        False, description="dev mode: 1 to answer the control surface (/_hub/) from any address, not only 127.0.0.1"
    )
    ingest_workers: int = Field(
        default_factory=lambda: min(os.cpu_count() or 1, 4), description="processes that normalize large CSVs (0: none)"
    )
    ingests_at_once: int = Field(1, description="large uploads (1 MiB and over) ingested at once (default 1)")
    ingest_wait: float = Field(120.0, description="seconds a large upload may wait for its turn (default 120)")
    open_accounts: int = Field(
        default_factory=lambda: max(4, min(128, open_file_limit() // 8)),
        description="account databases open at once (default: open-file limit / 8, at most 128)",
    )
    max_connections: int = Field(0, description="connections at once before a 503 (default: what files allow)")
    busy_timeout: float = Field(30.0, description="seconds a write waits for a database another process holds before a 503 (default 30)")

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource, *_others: Any, **_: Any
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Only what it is given: `from_environment` reads the environment, once, in one place."""
        return (init_settings,)

    @property
    def check_responses(self) -> bool:
        """Response validation: on when asked for, and by default in dev mode."""
        return self.dev if self.validate_responses is None else self.validate_responses

    @property
    def latency_bounds(self) -> tuple[float, float] | None:
        """Dev mode's injected latency, in seconds (uniform between the two)."""
        return parse_latency(self.latency) if self.latency else None

    @property
    def connection_bound(self) -> int:
        """HUB_MAX_CONNECTIONS, else half of the open files left once the account databases
        (about three each) and the process's own are counted: a connection may hold a spooled
        upload or a second database connection besides its socket."""
        if self.max_connections:
            return self.max_connections
        return max(8, (open_file_limit() - 3 * self.open_accounts - RESERVED_FILES) // 2)

    @property
    def allowed_origins(self) -> tuple[str, ...]:
        return self.cors_origins or (("*",) if self.dev else ())


ENVIRONMENT = {
    f"{PREFIX}{name.upper()}": (name, field.description or "") for name, field in Settings.model_fields.items()
}
"""Variable -> (setting, description), from the declarations above."""


class _Environment(EnvSettingsSource):
    """pydantic-settings' environment source over a given mapping (the process's, or a test's)."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._given = environ
        super().__init__(Settings)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {k.lower(): v for k, v in self._given.items() if k.startswith(PREFIX) and v != ""}


def from_environment(environ: Mapping[str, str], **overrides: object) -> Settings:
    """Settings from HUB_* variables, then explicit overrides (command-line flags) on top;
    ConfigurationError, in one line, for a value of the wrong type."""
    values = {**_Environment(environ)(), **{k: v for k, v in overrides.items() if v is not None}}
    try:
        return Settings(**values)
    except ValidationError as err:
        raise ConfigurationError(_one_line(err)) from None


def _one_line(err: ValidationError) -> str:
    first = err.errors()[0]
    name = ".".join(str(part) for part in first["loc"])
    phrase = {"int_parsing": "is not an integer", "float_parsing": "is not a number"}.get(first["type"])
    return f"{name}: {first['input']!r} {phrase}" if phrase else f"{name}: {first['msg']}"


def finalize(settings: Settings) -> Settings:
    """Check the settings for serving; in dev mode, generate and keep a pepper."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    pepper = settings.pepper or (_stored_pepper(settings.data_dir, create=True) if settings.dev else "")
    if not pepper:
        raise ConfigurationError(
            "HUB_PEPPER is required outside dev mode (use --dev for a generated one)"
        )
    public_key = settings.jwt_public_key
    if public_key and "BEGIN" not in public_key:
        path = Path(public_key)
        if not path.is_file():
            raise ConfigurationError(f"HUB_JWT_PUBLIC_KEY: no PEM text and no file {path}")
        public_key = path.read_text()
    if settings.jwt_secret and public_key:
        raise ConfigurationError("set HUB_JWT_SECRET or HUB_JWT_PUBLIC_KEY, not both")
    _check_ranges(settings)
    if (settings.latency or settings.error_rate) and not settings.dev:
        raise ConfigurationError("--latency and --error-rate are dev-mode tools: add --dev")
    if settings.latency:
        try:
            parse_latency(settings.latency)
        except ValueError as err:
            raise ConfigurationError(f"latency: {err}") from None
    return settings.model_copy(update={"pepper": pepper, "jwt_public_key": public_key})


def _check_ranges(settings: Settings) -> None:
    for name in ("ingests_at_once", "open_accounts"):
        if getattr(settings, name) < 1:
            raise ConfigurationError(f"{name}: {getattr(settings, name)} must be at least 1")
    if settings.max_connections < 0:
        raise ConfigurationError(f"max_connections: {settings.max_connections} must not be negative")
    for name in ("sim_time_scale", "dispatch_interval", "events_interval", "events_heartbeat", "ingest_wait", "busy_timeout"):
        if getattr(settings, name) <= 0:
            raise ConfigurationError(f"{name}: {getattr(settings, name):g} must be positive")
    if not 0 <= settings.error_rate <= 1:
        raise ConfigurationError(f"error_rate: {settings.error_rate:g} must be between 0 and 1")


def pepper_for_keys(settings: Settings) -> str:
    """The pepper the key commands hash with: HUB_PEPPER, else the one dev mode generated."""
    pepper = settings.pepper or _stored_pepper(settings.data_dir, create=False)
    if not pepper:
        raise ConfigurationError(
            f"no pepper: set HUB_PEPPER, or start `hub serve --dev --data-dir {settings.data_dir}`"
            " once to generate one"
        )
    return pepper


def _stored_pepper(data_dir: Path, *, create: bool) -> str:
    path = data_dir / "pepper"
    if path.is_file():
        return path.read_text().strip()
    if not create:
        return ""
    data_dir.mkdir(parents=True, exist_ok=True)
    pepper = secrets.token_hex(32)
    path.touch(mode=0o600)
    path.write_text(pepper)
    return pepper


def parse_latency(text: str) -> tuple[float, float]:
    """`200` or `100-400` (milliseconds) -> bounds in seconds; ValueError if it is neither."""
    low, _, high = text.partition("-")
    if not (low.strip().isdigit() and (high.strip().isdigit() or not high)):
        raise ValueError(f"{text!r}: give MS or LOW-HIGH, in milliseconds")
    bounds = (int(low) / 1000, int(high or low) / 1000)
    if bounds[0] > bounds[1]:
        raise ValueError(f"{text!r}: LOW is above HIGH")
    return bounds


def environ() -> Mapping[str, str]:
    """The process environment (one place reads it)."""
    return os.environ
