"""Generated strings that look like their field's name (`email`, `first_name`, `createdAt`, ...),
for the mock's bodies (`schemas.generate`, which falls back to its own words where none fits)."""

from __future__ import annotations

import random
import re
from collections.abc import Callable

WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel")
FIRST = ("Ada", "Grace", "Alan", "Katherine", "Edsger", "Barbara", "Donald", "Frances")
LAST = ("Lovelace", "Hopper", "Turing", "Johnson", "Dijkstra", "Liskov", "Knuth", "Allen")
CITIES = ("Lisbon", "Nairobi", "Osaka", "Toronto", "Valparaiso", "Tallinn")


def named(rng: random.Random, name: str, formatted: Callable[[random.Random, str], str | None]) -> str | None:
    """A value that looks like a field called `name` (`createdAt` as `created_at`), or None."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower().replace("-", "_").split("_")
    last = words[-1]
    first, family = rng.choice(FIRST), rng.choice(LAST)
    if "email" in words:
        return f"{first}.{family}@example.com".lower()
    if last in ("at", "time", "timestamp") or name.lower() in ("created", "updated", "modified"):
        return formatted(rng, "date-time")
    if last in ("date", "on", "birthday"):
        return formatted(rng, "date")
    if {"phone", "mobile", "msisdn"} & set(words):
        return f"+1415555{rng.randrange(10_000):04d}"
    if {"url", "uri", "link", "href", "website", "homepage"} & set(words):
        return f"https://example.com/{rng.choice(WORDS)}"
    if words[0] == "first" and last == "name" or last in ("firstname", "forename"):
        return first
    if words[0] in ("last", "family") and last == "name" or last in ("lastname", "surname"):
        return family
    if last in ("name", "fullname", "username", "author", "owner"):
        return f"{first} {family}" if last != "username" else f"{first}.{family}".lower()
    if last == "city":
        return rng.choice(CITIES)
    if last in ("description", "summary", "bio", "notes", "comment"):
        return f"{rng.choice(WORDS).capitalize()} {rng.choice(WORDS)}, written by {first} {family}."
    return None
