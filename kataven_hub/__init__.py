"""Kataven Hub Campaigns API: a spec-first, stateful implementation of the published contract."""

__version__ = "0.1.0"
