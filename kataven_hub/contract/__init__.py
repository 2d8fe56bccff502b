"""`hub contract`: the contract checked over real HTTP against a live server (Schemathesis, installed
with the `contract` extra). `commands` declares it for `hub`; `run` puts the run together and says what it found; `server` starts our
own `hub serve` to check (or names another one); `walk` follows the lifecycle's links; `report`
prints the per-operation table; `hooks` and `auth` are what Schemathesis is given (the hooks that
keep generated cases valid, the credentials); `schemathesis.toml` beside them is its configuration. `replay` is `hub contract --replay`:
the consumer contracts' requests sent again (`rebuild` makes each request, `answered` checks each
answer)."""
