"""Settings: read once from flags and the environment, typed, validated at start-up."""

from __future__ import annotations

import dataclasses
import os
import resource
import secrets
from collections.abc import Mapping
from pathlib import Path

from kataven_hub.dispatch.dialer import parse_weights
from kataven_hub.errors import ConfigurationError

DEFAULT_SPEC = Path(__file__).resolve().parent.parent / "openapi.yaml"

# name of the environment variable -> (field, help text); the README lists every one of these.
ENVIRONMENT = {
    "HUB_DATA_DIR": ("data_dir", "directory for the SQLite files (default ./data)"),
    "HUB_SPEC": ("spec", "the OpenAPI document to serve (default: the project's openapi.yaml)"),
    "HUB_HOST": ("host", "address to listen on (default 127.0.0.1)"),
    "HUB_PORT": ("port", "port to listen on (default 8081)"),
    "HUB_DEV": ("dev", "1 for dev mode: generated pepper, CORS for all origins, response checks"),
    "HUB_PEPPER": ("pepper", "secret mixed into every stored API-key hash (required outside dev)"),
    "HUB_JWT_SECRET": ("jwt_secret", "HS256 secret that JWTs are verified with"),
    "HUB_JWT_PUBLIC_KEY": ("jwt_public_key", "RS256 public key (PEM text or a file path)"),
    "HUB_JWT_ACCOUNTS_CLAIM": ("jwt_accounts_claim", "claim listing granted accounts"),
    "HUB_JWT_AUDIENCE": ("jwt_audience", "required `aud` of JWTs, if set"),
    "HUB_JWT_ISSUER": ("jwt_issuer", "required `iss` of JWTs, if set"),
    "HUB_CORS_ORIGINS": ("cors_origins", "comma-separated allowed origins (dev: *)"),
    "HUB_DEFAULT_REGION": ("default_region", "region for numbers without +country code"),
    "HUB_VALIDATE_RESPONSES": ("validate_responses", "1 to check every response against the spec"),
    "HUB_DISPATCH": ("dispatch", "0 to serve the API without dialing (default 1)"),
    "HUB_DISPATCH_INTERVAL": ("dispatch_interval", "seconds between dispatch rounds (default 0.1)"),
    "HUB_SIM_SEED": ("sim_seed", "seed of the simulated carrier (default 0)"),
    "HUB_SIM_TIME_SCALE": ("sim_time_scale", "campaign seconds per real second (default 1)"),
    "HUB_SIM_OUTCOMES": ("sim_outcomes", "outcome weights, e.g. completed=0.6,no_answer=0.2,..."),
    "HUB_EVENTS_INTERVAL": ("events_interval", "seconds between event-stream snapshots (default 2)"),
    "HUB_EVENTS_HEARTBEAT": ("events_heartbeat", "seconds between heartbeat comments (default 15)"),
    "HUB_LATENCY": ("latency", "dev mode: delay every API answer, MS or LOW-HIGH milliseconds"),
    "HUB_ERROR_RATE": ("error_rate", "dev mode: share of API requests answered with the documented 500"),
    "HUB_FAULT_SEED": ("fault_seed", "seed of the injected latency and faults (default 0)"),
    "HUB_CONSOLE": ("console", "1 to serve the campaign console at /console/ outside dev mode"),
    "HUB_RATE_LIMITS": ("rate_limits", "1 to enforce each account's request-rate limits (default off)"),
    "HUB_INGEST_WORKERS": ("ingest_workers", "processes that normalize large CSVs (0: none)"),
    "HUB_INGESTS_AT_ONCE": ("ingests_at_once", "large uploads (1 MiB and over) ingested at once; the rest wait (default 1)"),
    "HUB_INGEST_WAIT": ("ingest_wait", "seconds a large upload may wait for its turn before a 503 (default 120)"),
    "HUB_OPEN_ACCOUNTS": ("open_accounts", "account databases open at once (default: open-file limit / 8, at most 128)"),
    "HUB_MAX_CONNECTIONS": ("max_connections", "connections at once before a 503 (default: what the open-file limit leaves)"),
}
RESERVED_FILES = 64
"""Open files kept for the process itself: Python, system.db, the ingest workers' pipes, logs."""

_TRUE = {"1", "true", "yes", "on"}


@dataclasses.dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("data")
    spec: Path = DEFAULT_SPEC
    host: str = "127.0.0.1"
    port: int = 8081
    dev: bool = False
    pepper: str = dataclasses.field(default="", repr=False)
    jwt_secret: str = dataclasses.field(default="", repr=False)
    jwt_public_key: str = dataclasses.field(default="", repr=False)
    jwt_accounts_claim: str = "accounts"
    jwt_audience: str = ""
    jwt_issuer: str = ""
    cors_origins: tuple[str, ...] = ()
    default_region: str = "US"
    validate_responses: bool | None = None
    dispatch: bool = True
    dispatch_interval: float = 0.1
    sim_seed: int = 0
    sim_time_scale: float = 1.0
    sim_outcomes: str = ""
    events_interval: float = 2.0
    events_heartbeat: float = 15.0
    console: bool = False
    rate_limits: bool = False
    latency: str = ""
    error_rate: float = 0.0
    fault_seed: int = 0
    ingest_workers: int = dataclasses.field(default_factory=lambda: min(os.cpu_count() or 1, 4))
    ingests_at_once: int = 1
    ingest_wait: float = 120.0
    open_accounts: int = dataclasses.field(default_factory=lambda: max(4, min(128, open_file_limit() // 8)))
    max_connections: int = 0

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


def from_environment(environ: Mapping[str, str], **overrides: object) -> Settings:
    """Settings from HUB_* variables, then explicit overrides (command-line flags) on top."""
    values: dict[str, object] = {}
    for variable, (field, _help) in ENVIRONMENT.items():
        if variable in environ and environ[variable] != "":
            values[field] = environ[variable]
    values.update({k: v for k, v in overrides.items() if v is not None})
    return _coerce(values)


def _coerce(values: dict[str, object]) -> Settings:
    types = {f.name: f.type for f in dataclasses.fields(Settings)}
    out: dict[str, object] = {}
    for name, value in values.items():
        kind = types[name]
        if not isinstance(value, str):
            out[name] = value
        elif kind == "Path":
            out[name] = Path(value)
        elif kind in ("int", "float"):
            out[name] = _number(name, value, int if kind == "int" else float)
        elif kind in ("bool", "bool | None"):
            out[name] = value.strip().lower() in _TRUE
        elif kind == "tuple[str, ...]":
            out[name] = tuple(v.strip() for v in value.split(",") if v.strip())
        else:
            out[name] = value
    return Settings(**out)  # type: ignore[arg-type]


def _number(name: str, value: str, kind: type[int] | type[float]) -> int | float:
    try:
        return kind(value)
    except ValueError:
        noun = "an integer" if kind is int else "a number"
        raise ConfigurationError(f"{name}: {value!r} is not {noun}") from None


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
    for name in ("ingests_at_once", "open_accounts"):
        if getattr(settings, name) < 1:
            raise ConfigurationError(f"{name}: {getattr(settings, name)} must be at least 1")
    if settings.max_connections < 0:
        raise ConfigurationError(f"max_connections: {settings.max_connections} must not be negative")
    for name in ("sim_time_scale", "dispatch_interval", "events_interval", "events_heartbeat", "ingest_wait"):
        if getattr(settings, name) <= 0:
            raise ConfigurationError(f"{name}: {getattr(settings, name)} must be positive")
    if (settings.latency or settings.error_rate) and not settings.dev:
        raise ConfigurationError("--latency and --error-rate are dev-mode tools: add --dev")
    if settings.latency:
        try:
            parse_latency(settings.latency)
        except ValueError as err:
            raise ConfigurationError(f"latency: {err}") from None
    if not 0 <= settings.error_rate <= 1:
        raise ConfigurationError(f"error_rate: {settings.error_rate} must be between 0 and 1")
    if settings.sim_outcomes:
        try:
            parse_weights(settings.sim_outcomes)
        except ValueError as err:
            raise ConfigurationError(f"sim_outcomes: {err}") from None
    return dataclasses.replace(settings, pepper=pepper, jwt_public_key=public_key)


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


def open_file_limit() -> int:
    """The process's soft limit of open files (`ulimit -n`)."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return soft if soft != resource.RLIM_INFINITY else 1 << 20


def environ() -> Mapping[str, str]:
    """The process environment (one place reads it)."""
    return os.environ
