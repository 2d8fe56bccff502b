"""A real PostgreSQL for tests and benchmarks: a throwaway cluster of Debian's server on a free
port of 127.0.0.1, owned by the `postgres` user when we are root (the server refuses to run as
root), made fast and unsafe (no fsync) since it lives for one run. HUB_TEST_DATABASE_URL points at
a server of your own instead."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict, make_conninfo

from support.servers import free_port

OPTIONS = ("-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
           " -c listen_addresses=127.0.0.1")  # fmt: skip


def binaries() -> Path | None:
    """Where Debian's PostgreSQL server programs are (the newest installed), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


class Cluster:
    """One running server: `url(database)`, `create_database()`, and `stop`/`start`/`restart` for
    the tests where the database goes away."""

    def __init__(self, bin_dir: Path, home: Path, port: int) -> None:
        self.bin_dir, self.home, self.port = bin_dir, home, port
        self.data = home / "data"
        self.made: list[str] = []

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _as_owner(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *command], check=True, capture_output=True, cwd=self.home)

    def init(self) -> None:
        self._as_owner(str(self.bin_dir / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                       "--no-sync", "--locale=C", "-E", "UTF8")  # fmt: skip
        self.start()

    def start(self) -> None:
        self._as_owner(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-l", str(self.home / "server.log"), "-w",
                       "-o", f"{OPTIONS} -p {self.port} -k {self.home}", "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._as_owner(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    def create_database(self, template: str = "template0") -> str:
        """A new, empty database (a copy of `template`); its URL."""
        import psycopg

        name = f"hub_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        self.made.append(name)
        return self.url(name)


class External(Cluster):
    """A server of yours (HUB_TEST_DATABASE_URL, a role that may create databases): the databases
    the run makes there are dropped at its end; it cannot be stopped or restarted by a test."""

    def __init__(self, url: str) -> None:
        super().__init__(Path(), Path(), 0)
        self.base = conninfo_to_dict(url)

    def url(self, database: str = "") -> str:
        return make_conninfo("", **{**self.base, "dbname": database or self.base.get("dbname") or "postgres"})

    def start(self) -> None:
        raise RuntimeError("HUB_TEST_DATABASE_URL's server is not the tests' to start or stop")

    stop = restart = init = start  # type: ignore[assignment]

    def drop_made(self) -> None:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            for name in reversed(self.made):
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


TEMPLATE = f"hub_template_{uuid.uuid4().hex[:8]}"
"""A database with every migration applied: each test's database is a copy of it (a name of this
run's own: on a server of yours, runs must not share it)."""


def template(running: Cluster) -> None:
    """Make TEMPLATE in the cluster, migrated."""
    import psycopg

    from kataven_hub.storage.pg import migrate

    with psycopg.connect(running.url(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{TEMPLATE}"')
    running.made.append(TEMPLATE)
    migrate(running.url(TEMPLATE))


@contextmanager
def server() -> Iterator[Cluster]:
    """HUB_TEST_DATABASE_URL's server if set (the databases made there dropped after), else a
    throwaway cluster."""
    url = os.environ.get("HUB_TEST_DATABASE_URL")
    if not url:
        with cluster() as running:
            yield running
        return
    external = External(url)
    try:
        yield external
    finally:
        external.drop_made()


@contextmanager
def cluster() -> Iterator[Cluster]:
    """A fresh cluster for the block, removed after; RuntimeError naming the fix if PostgreSQL is
    not installed."""
    bin_dir = binaries()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL is not installed: `make test` installs it (apt-get install -y postgresql)")
    home = Path(tempfile.mkdtemp(prefix="hub-pg-"))
    if os.geteuid() == 0:
        shutil.chown(home, "postgres", "postgres")
    running = Cluster(bin_dir, home, free_port())
    try:
        running.init()
        yield running
    finally:
        try:
            running.stop("immediate")
        except subprocess.CalledProcessError:
            pass  # stopped already
        shutil.rmtree(home, ignore_errors=True)
