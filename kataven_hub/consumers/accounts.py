"""Recording per account (dev mode's control surface): which accounts are recording, and what each
consumer of each of them used, kept in memory apart (one account's uses never reach another's)."""

from __future__ import annotations

import copy
import threading

from kataven_hub.consumers.contract import Contract, empty, union


class AccountRecordings:
    def __init__(self) -> None:
        self._on: set[str] = set()
        self._kept: dict[str, dict[str, Contract]] = {}
        """Account -> consumer -> what it used, while recording (kept when it stops)."""
        self._lock = threading.Lock()

    def any_on(self) -> bool:
        """Whether some account is recording (when none is, a request is not looked at)."""
        return bool(self._on)

    def is_on(self, account: str) -> bool:
        return account in self._on

    def switch(self, account: str, on: bool) -> None:
        """Start or stop recording the account; what it recorded stays until `forget`."""
        with self._lock:
            (self._on.add if on else self._on.discard)(account)

    def add(self, account: str, use: Contract) -> None:
        """Merge one use (`{"consumer", "operations"}`) into the account's, if it is recording."""
        with self._lock:
            if account not in self._on:
                return
            kept = self._kept.setdefault(account, {})
            consumer = use["consumer"]
            kept[consumer] = union(kept.get(consumer, empty(consumer)), use)

    def contracts(self, account: str) -> dict[str, Contract]:
        """The account's contracts by consumer, as `--record` writes them (a copy)."""
        with self._lock:
            return copy.deepcopy(self._kept.get(account, {}))

    def forget(self, account: str) -> None:
        """What the account recorded, dropped (a reset); whether it records is unchanged."""
        with self._lock:
            self._kept.pop(account, None)
