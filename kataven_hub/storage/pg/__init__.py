"""The PostgreSQL driver (`HUB_DATABASE_URL`): every account in shared tables of one database, for
several replicas of `hub serve`. `db` is the backend and its locks, `connections` how connections
are made and lent, `queries` the queries (composed of `campaigns`, `accounts`, `dispatch`, `clock`
and `remembered`, over `bound`), `together` several accounts' rounds in one transaction, `work` the
dispatchers' leases, `carrier` the simulated carrier's shared record, `ratelimits` the shared
request counters, `faults` PostgreSQL's faults told apart."""

from kataven_hub.storage.pg.db import PgBackend, migrate

__all__ = ["PgBackend", "migrate"]
