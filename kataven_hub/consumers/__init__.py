"""What the consumers of a document use of it: a contract per consumer (`contract`), built from
the traffic `hub serve --record` sees (`record`; the middleware is `web.recording`), kept in a folder
(`files`), and checked against a document (`check`, walking field paths down schemas: `schemapaths`;
the command: `commands`); field paths back into JSON (`unflatten`)."""
