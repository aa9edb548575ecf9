"""Translation to and from partner formats (iCalendar, FHIR R4, signed JSON webhooks, …).

Each module here that defines ``FORMAT`` and ``render`` is a delivery adapter.
An institution's delivery endpoint names its format; the delivery worker renders each outbox
message with that format's module and posts the result. Adding a format = adding one module.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from datetime import datetime
from types import ModuleType

NOT_ADAPTERS = {"simulator"}


@dataclass(frozen=True)
class Outbound:
    """An outbox message as an adapter sees it (payload already decrypted)."""

    topic: str
    idempotency_key: str
    payload: dict
    created_at: datetime


@dataclass(frozen=True)
class Endpoint:
    """Where a message goes and the secret it is signed with."""

    url: str
    secret: str


@dataclass(frozen=True)
class HttpRequest:
    """What the delivery worker POSTs."""

    url: str
    body: bytes
    headers: dict[str, str]


def formats() -> dict[str, ModuleType]:
    """Every adapter module in this package, by its ``FORMAT``."""
    found = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name in NOT_ADAPTERS or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "FORMAT") and hasattr(module, "render"):
            found[module.FORMAT] = module
    return found


def adapter_for(format_name: str) -> ModuleType:
    """The adapter module for ``format_name``; KeyError if there is none."""
    return formats()[format_name]
