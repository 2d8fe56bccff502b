"""JSON-Schema helpers, knowing nothing of OpenAPI's operations: schemas combined into one
(`flatten`), bodies drawn from them (`generate`, with strings like their field's name from
`fieldnames`), and answers checked against them (`answers`)."""
