"""The edge below Connexion: one module per middleware (`app.PIPELINE` orders them), the bearer
handler, the one error map, and the event stream."""
