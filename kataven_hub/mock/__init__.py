"""Answers from the spec for operations no handler serves: the mocker (`mocker`: a documented
response, its example or a generated body, written in its media type's syntax: `render`), resources remembered per account (`remember`), and
mocks filled from the resource they lie under (`parents`)."""
