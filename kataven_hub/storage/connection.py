"""The one name for an open connection to a database."""

import sqlite_utils

Connection = sqlite_utils.Database
"""An open connection to one database, for the block of a `Database.read()` or `.write()`: what
every storage function takes first. A `Database` is the file and its pool; a `Connection` is one
use of it (inside `write`, one transaction)."""
