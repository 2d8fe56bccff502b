"""The document and what serves it, knowing no domain: the file read (`loader`), the spec checked and
walked (`document`; checked by openapi-spec-validator, jsonschema-rs first: `metacheck`; its verdicts kept across
processes: `verdicts`), what is wrong with one served
`--lenient` (`lenient`), Connexion's view of it (`served`; of a 3.1 or 3.2 one: `oas31`; with the parameters it cannot coerce:
`coercion`, its form bodies: `forms`, its paths: `paths`, defaults its schemas refuse left out: `defaults`; places named by `pointers`), operations
resolved to handlers or to the mock (`routing`), the webhooks and callbacks it sends listed (`sent`), Connexion's validators adjusted (`validation`, its form bodies': `formbodies`, the answer's: `answering`),
stubs written for new operations (`scaffold`), a `curl` for the greeting (`curl`), where each of several
documents is served (`mounts`)."""

from kataven_hub.openapi.document import METHODS, Operation, load, load_text, operations

__all__ = ["METHODS", "Operation", "load", "load_text", "operations"]
