"""What `hub serve` serves: one document's app (`app.create_app`, or `app.watching` with `--watch`),
or several documents' apps mounted under their prefixes (`web.mounts`, `openapi.mounts`), every
one over the same hub's services."""

from __future__ import annotations

import contextlib
from functools import partial

from starlette.types import ASGIApp

from kataven_hub.app import ServedApp, create_app, watching
from kataven_hub.hub import Hub
from kataven_hub.mock.mocker import Mocker
from kataven_hub.openapi.mounts import Mounted, documents, several
from kataven_hub.settings import Settings
from kataven_hub.web.mounts import Mounts
from kataven_hub.web.reloading import Reloading


def serving(settings: Settings) -> ASGIApp:
    """`hub serve`'s app: a lone document's as ever (`app.create_app`, `app.watching`), else several mounted."""
    if not several(settings.spec):
        return (watching if settings.watch else create_app)(settings)
    return mounted(settings, documents(settings.spec))


def mounted(settings: Settings, found: list[Mounted]) -> Mounts:
    """The app serving each of the documents `found` under its prefix (`hub serve` with several), each built
    again on its own edits with `--watch`; ConfigurationError, in one line, if one does not serve."""
    owner = Hub(settings, Mocker([], seed=settings.mock_seed))
    apps: list[tuple[Mounted, ASGIApp]] = []
    for document in found:
        build = partial(create_app, settings.model_copy(update={"spec": document.path}), owner)
        app = Reloading(build, contextlib.nullcontext, document.path, lenient=settings.lenient, stores=owner.stores,
                        mount=document.prefix) if settings.watch else build()  # fmt: skip
        apps.append((document, app))
    return Mounts(apps, owner.services)


def lone(app: ASGIApp) -> ServedApp | None:
    """The app serving a lone document (the current version with `--watch`); None for several."""
    return app.current.app if isinstance(app, Reloading) else app if isinstance(app, ServedApp) else None  # type: ignore[return-value]
