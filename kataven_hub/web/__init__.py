"""The edge below Connexion: one module per middleware (`app.pipeline` orders them: `aliases`,
`console`, `bodylimit`, `latency`, `specdocs`, `inject`, `routing`, `ratelimits`, `recording`, `prefer`, `mockanswers`), the
security schemes' verifiers (`security`), the one error map (`errormap`) and its shapes
(`errorshapes`), the event stream (`events`), `hub serve --watch`'s app, which serves each edit of the document
(`reloading`) and says what it changed (`edits`), and several documents in one server (`mounts`)."""

MOUNT = "hub_mount"
"""Where a request carries the prefix its document is served under (`mounts`; the path it carries
is the document's own): its Swagger UI and `servers` show the prefix, and its remembered
collections are kept under it, so that two documents with the same path keep their own."""
