"""The published event catalogue: JSON Schema per event type and each service's AsyncAPI."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

# Every context's contracts: importing them registers their event types.
import crm_campaigns_contracts  # noqa: F401
import crm_contacts_contracts  # noqa: F401
import crm_sales_contracts  # noqa: F401
import crm_support_contracts  # noqa: F401
from crm_kernel.auth import SigningKey, public_key_set
from crm_kernel.contexts import SERVICES
from crm_kernel.domain.events import REGISTRY, parse_type_name, personal_fields
from crm_kernel.runtime import asyncapi_document
from crm_kernel.settings import ServiceSettings

if TYPE_CHECKING:  # the launcher reaches the broker only through the kernel's services
    from faststream.kafka import KafkaBroker

CATALOGUE = Path("docs/events/catalogue.json")
ASYNCAPI_DIR = Path("docs/asyncapi")


def catalogue() -> dict[str, Any]:
    events = []
    for cls in REGISTRY.all():
        context, name, version = parse_type_name(cls.event_type)
        events.append(
            {
                "type": cls.event_type,
                "name": name,
                "version": version,
                "context": context,
                "topic": f"crm.{context}.events",
                "description": cls.describe(),
                "personal_data": list(personal_fields(cls)),
                "schema": cls.model_json_schema(),
            }
        )
    return {"catalogue_version": 1, "delivery": DELIVERY, "events": events}


# What every consumer of the event topics must know (ADR 2 and 10): delivery is at least once.
DEDUPLICATION_KEY = ["ce_subject", "ce_streamversion"]
DELIVERY = {
    "guarantee": "at-least-once",
    "deduplication_key": DEDUPLICATION_KEY,
    "description": (
        "Events are delivered at least once: after a crash, a broker outage or a lost "
        "acknowledgement the outbox relay sends a commit again, so a consumer may see an event "
        "twice, also after later events of its stream. Within a stream (header ce_subject) "
        "ce_streamversion counts up from 1 without gaps, and all events of a stream travel on "
        "one partition (the message key is the customer id, else the stream id) in version "
        "order. Deduplicate on (ce_subject, ce_streamversion): remember the last version "
        "applied per subject and skip every event at or below it. ce_id names an event as "
        "well, but skipping by version needs one number per stream instead of every id."
    ),
}


class _HasBroker(Protocol):
    """What a service's AsyncAPI needs of it: write services and projections both have one."""

    @property
    def broker(self) -> KafkaBroker: ...


def asyncapi_documents() -> dict[str, dict[str, Any]]:
    # Fixed addresses, whatever the environment says, so the documents are reproducible.
    settings = ServiceSettings(
        kafka_bootstrap="127.0.0.1:19092",
        mongo_url="mongodb://127.0.0.1:27018/",
        auth_jwks=public_key_set([SigningKey.generate()]),  # only to build the apps
    )
    documents: dict[str, dict[str, Any]] = {}
    for name in SERVICES:
        create_service = importlib.import_module(f"crm_{name}.bootstrap").create_service
        documents[name] = asyncapi_document(create_service(settings).broker, name)
    return documents


def rendered(root: Path) -> dict[Path, str]:
    """Every generated file, path -> text, deterministic so a stale copy shows as a diff."""
    files = {root / CATALOGUE: _dump(catalogue())}
    for name, document in asyncapi_documents().items():
        files[root / ASYNCAPI_DIR / f"{name}.json"] = _dump(document)
    return files


def _dump(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write(root: Path) -> list[Path]:
    written = []
    for path, text in rendered(root).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            written.append(path)
    return written


def stale(root: Path) -> list[Path]:
    return [p for p, text in rendered(root).items() if not p.exists() or p.read_text() != text]
