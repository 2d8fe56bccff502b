"""The gate on the spec (`hub diff`): two versions' operations compared (`compare`, their schemas
in `schemas`, put in one form for 3.0 and 3.1 by `canonical`, their ranges and shapes in `bounds`),
the rules and their severities (`rules`), graded and reported (`gate`), each break graded by
the consumers that use it with `--consumers` (`consumers`)."""
