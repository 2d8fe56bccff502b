"""Domain errors. They know nothing of HTTP; `kataven_hub.web.errormap` translates them at the edge.

    HubError
    ├── InvalidInput          the request is well-formed but its content is wrong (form, CSV)
    ├── InvalidAccount        an account name that breaks the naming rule
    ├── Unauthenticated       no credential, or one that does not verify
    ├── Forbidden             a valid credential that does not grant this account
    ├── NotFound              no such resource in this account
    ├── Conflict              the resource's state does not allow the operation
    ├── Unprocessable         the request contradicts an earlier one (an Idempotency-Key reused)
    ├── TooLarge              the upload is over its size limit
    ├── StorageFull           the disk holding the data is full: nothing was stored
    ├── Unavailable           the server is at a limit of its own, or the machine's, for now; the client may retry
    └── Unserved              an operation an invalid document (served --lenient) leaves unservable
    ConfigurationError        bad settings at start-up (never reaches a client)
"""


class HubError(Exception):
    """Base of every error a client can be told about; the message is shown to the client."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(HubError):
    pass


class InvalidAccount(HubError):
    pass


class Unauthenticated(HubError):
    pass


class Forbidden(HubError):
    pass


class NotFound(HubError):
    pass


class Conflict(HubError):
    pass


class Unprocessable(HubError):
    pass


class TooLarge(HubError):
    pass


class StorageFull(HubError):
    pass


class Unavailable(HubError):
    def __init__(self, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ConfigurationError(Exception):
    pass


class Unserved(HubError):
    pass
