"""What the consumers of a document use of it: a contract per consumer (`contract`), built from
the traffic `hub serve --record` sees (`record`; the middleware is `web.recording`) or from Pact files
(`pacts`, each interaction as a use: `interactions`, checked: `pactcheck`), kept in a folder (`files`)
or, for an account recording on the control surface, in memory (`accounts`), and checked against a
document (`check`, walking field paths down schemas: `schemapaths`; the commands: `commands`, their
work on files: `imports`); field paths back into JSON (`unflatten`)."""
