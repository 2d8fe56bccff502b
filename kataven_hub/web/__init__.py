"""The edge below Connexion: one module per middleware (`app.pipeline` orders them: `aliases`,
`console`, `bodylimit`, `latency`, `specdocs`, `inject`, `routing`, `ratelimits`, `prefer`, `mockanswers`), the
security schemes' verifiers (`security`), the one error map (`errormap`) and its shapes
(`errorshapes`), and the event stream (`events`)."""
