"""JSON-Schema helpers, knowing nothing of OpenAPI's operations: schemas combined into one
(`flatten`, the branch of a `oneOf`/`anyOf` taken in `branches`), bodies drawn from them
(`generate`, with strings like their field's name from `fieldnames`, numbers within their range
from `ranges`, 2020-12's own keywords read in `keywords2020`), bodies that validate or are
completed until they do (`satisfy`), and answers checked against them (`answers`), all by
one validator for 3.0's schemas and 2020-12's (`dialect`)."""
