"""JSON-Schema helpers, knowing nothing of OpenAPI's operations: schemas combined into one
(`flatten`, the branch of a `oneOf`/`anyOf` taken in `branches`), bodies drawn from them
(`generate`, with strings like their field's name from `fieldnames`), bodies that validate or are
completed until they do (`satisfy`), and answers checked against them (`answers`), all by
one validator for 3.0's schemas and 2020-12's (`dialect`)."""
