"""The contract machinery, which knows no domain: the document loaded and walked (`document`),
operations resolved to handlers or to the mock (`routing`), answers made from the spec
(`mocking`), stubs written for new operations (`scaffold`), Connexion's validators adjusted
(`validation`), what changed between two versions for their clients (`diff`, graded by `gate`)."""

from kataven_hub.spec.document import METHODS, Operation, load, load_text, operations

__all__ = ["METHODS", "Operation", "load", "load_text", "operations"]
