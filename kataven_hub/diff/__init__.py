"""The gate on the spec (`hub diff`): two versions' operations compared (`compare`, their schemas
in `schemas`), the rules and their severities (`rules`), graded and reported (`gate`)."""
