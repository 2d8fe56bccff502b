"""PostgreSQL's `Connection`: the queries of `storage.base.Connection`, each bound to one account.

The same rules as the SQLite driver's (`storage.sqlite`), written for shared tables: every
statement names its account, and what SQLite does with `rowid`, `INSERT OR IGNORE` or summed
booleans is written the PostgreSQL way. One class of queries a module, as in the SQLite driver."""

from kataven_hub.storage.pg.accounts import AccountQueries
from kataven_hub.storage.pg.campaigns import CampaignQueries
from kataven_hub.storage.pg.clock import ClockQueries
from kataven_hub.storage.pg.dispatch import DispatchQueries
from kataven_hub.storage.pg.remembered import KeyQueries, RememberedQueries


class PgConnection(CampaignQueries, AccountQueries, DispatchQueries, ClockQueries, RememberedQueries, KeyQueries):
    """One use of a pooled connection on behalf of an account, with every query as a method."""
