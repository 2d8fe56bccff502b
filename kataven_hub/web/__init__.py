"""The edge below Connexion: one module per middleware (`app.pipeline` orders them), the security
schemes' verifiers, the one error map and its shapes, and the event stream."""
