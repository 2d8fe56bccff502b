"""Storage: the only package that touches a database.

`base` is the interface the domain sees; two drivers implement it. `sqlite` (the embedded
default): one database file per account (`accounts/<name>.db`, no account column anywhere) and
`system.db` for API keys, each in WAL mode with its schema kept by numbered migrations. `pg`
(`HUB_DATABASE_URL`): every account in shared tables of one PostgreSQL, for several replicas.
Queries are methods of a `Connection` and return plain dicts shaped like the spec's schemas; `rows`
shapes rows the same for both drivers, `faults` tells a machine's faults apart from bugs.
"""

from __future__ import annotations

from pathlib import Path

from kataven_hub.storage.base import Backend, Connection, Database
from kataven_hub.storage.sqlite.stores import Stores, writable

__all__ = ["Backend", "Connection", "Database", "Stores", "open_backend", "writable"]


def open_backend(data_dir: Path, database_url: str = "", *, max_open: int = 128, busy_timeout: float = 30.0) -> Backend:
    """The PostgreSQL backend when a database URL is given, else the data directory's SQLite files."""
    if database_url:
        from kataven_hub.storage.pg import PgBackend  # psycopg is loaded only when asked for

        return PgBackend(database_url, busy_timeout=busy_timeout)
    return Stores(data_dir, max_open=max_open, busy_timeout=busy_timeout)
