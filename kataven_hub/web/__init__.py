"""The edge below Connexion: one module per middleware (`app.pipeline` orders them: `aliases`,
`console`, `bodylimit`, `latency`, `specdocs`, `inject`, `routing`, `ratelimits`, `recording`, `prefer`, `mockanswers`), the
security schemes' verifiers (`security`), the one error map (`errormap`) and its shapes
(`errorshapes`), the event stream (`events`), and `hub serve --watch`'s app, which serves each edit of the document
(`reloading`) and says what it changed (`edits`)."""
