"""The SQLite driver, the embedded default: a database file per account (`db`), the data directory
(`stores`), the queries of a `Connection` (`connection`, composed of `campaigns`, `dispatch`, `keys`
and `remembered`), the accounts with work (`workindex`), and migrations (`schema`)."""
