"""The PostgreSQL driver (`HUB_DATABASE_URL`): every account in shared tables of one database, for
several replicas of `hub serve`. `db` is the backend and its locks, `connections` how connections are made and lent, `queries` the queries,
`work` the dispatchers' leases, `carrier` the simulated carrier's shared record."""

from kataven_hub.storage.pg.db import PgBackend, migrate

__all__ = ["PgBackend", "migrate"]
