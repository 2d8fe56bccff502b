"""The HTTP edge: the functions Connexion calls, one module per tag. Every module here is found by
`kataven_hub.openapi.routing`; `hub scaffold` writes the stubs of new operations into them."""
