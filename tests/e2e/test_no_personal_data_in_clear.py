"""Guard against any personal-data leak (issue 9).

A customer with distinctive personal values goes through every command that touches personal
data, in every context, over HTTP and the ingest topic; a second customer with the same e-mail
is reported as a duplicate and merged into the first; then the first is erased. A sales lead
with distinctive values of its own is captured and disqualified with a note (issue 12): it is
sealed under the customer id it will have (ADR 26), which nobody erases here. Two more are
converted (ADR 29): one into a new customer that contacts registers from the sales event,
one found to be the first customer, so its erasure shreds that lead's key too; the new
customer and its organisation are erased as well. Two more leads come on sales' ingest topic:
one with the customer's e-mail, reported as the customer's possible duplicate (ADR 28: sales
learns customers' e-mails from contacts' events, in a blind index), and one refused, whose
rejected copy must withhold its personal fields. Afterwards no
Kafka topic, no database of the platform (event stores, vault, read models) and no service's
log may hold any of those values: in clear, lower-cased, accent-folded, or (phones) in E.164.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import string
import time
import unicodedata
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from crm_kernel.contact_points import normalise_email, normalise_phone
from crm_kernel.contexts import CONTEXTS
from crm_sales.domain.lead import lead_id_for, organisation_id_of, prospect_id_of
from pymongo import AsyncMongoClient

from tests.e2e.test_contacts import put
from tests.e2e.test_walking_skeleton import post, token, view_when
from tests.support import group_caught_up, wait_for

CONTACTS = "contacts:write"
INGEST_TOPIC = "crm.contacts.interactions.ingest"
INGEST_GROUP = "crm-contacts-ingest"
LEADS_INGEST_TOPIC = "crm.sales.leads.ingest"
LEADS_INGEST_GROUP = "crm-sales-leads-ingest"
POINTS_GROUP = "crm-sales-customer-points"
SCAN_TIMEOUT_S = 25
ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def fold(text: str) -> str:
    """Accent-folded and case-folded: "Zoë Ñúñez" -> "zoe nunez"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def readable(text: str) -> str:
    """The text with JSON \\uXXXX escapes undone, so escaped accents are seen too."""
    return ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def letters(n: int = 6) -> str:
    return "".join(random.choices(string.ascii_lowercase, k=n))


def digits(n: int) -> str:
    return "".join(random.choices(string.digits, k=n))


class Secrets:
    """The values to look for, each under a label saying what it is."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def word(self, base: str) -> str:
        """A distinctive word (a real-looking stem, accents kept, and random letters)."""
        return f"{base}{letters()}"

    def text(self, label: str, text: str) -> str:
        """A free text: itself, and each of its words longer than 4 letters."""
        self.add(label, text)
        for word in re.findall(r"[\w@.+-]+", text):
            word = word.strip(".,-")
            if len(word) > 4 and any(ch.isalpha() for ch in word):
                self.add(f"{label}: word {word!r}", word)
        return text

    def add(self, label: str, value: str) -> str:
        self.values[label] = value
        return value

    def needles(self) -> dict[str, str]:
        """Folded needle -> label; the clear, lower-cased and folded forms all fold to it."""
        found: dict[str, str] = {}
        for label, value in self.values.items():
            found.setdefault(fold(value), label)
        return found


def hits(text: str, needles: dict[str, str]) -> Iterator[str]:
    folded = fold(readable(text))
    for needle, label in needles.items():
        if needle in folded:
            yield label


# --- driving the platform ----------------------------------------------------------------


def ok(response: httpx.Response, *statuses: int) -> dict[str, Any]:
    assert response.status_code in (statuses or (200, 201)), (
        f"{response.request.method} {response.request.url}: {response.status_code} {response.text}"
    )
    return response.json()


def drive(platform, s: Secrets, tag: str) -> tuple[str, str]:
    """Every command that touches personal data; answers (customer, merged customer)."""
    name = s.add("name", f"Zoë Ñúñez-{tag}")
    s.add("name: surname", f"Ñúñez-{tag}")
    email = s.add("e-mail", f"Zoe.Nunez.{tag}@Example.COM")
    s.add("e-mail: lower-cased", normalise_email(email))
    s.add("e-mail: local part", f"zoe.nunez.{tag}")
    mobile = s.add("phone", f"+34 6{digits(2)} {digits(3)} {digits(3)}")
    s.add("phone: E.164", normalise_phone(mobile))
    s.add("phone: national digits", normalise_phone(mobile)[3:])
    registered = ok(
        post(
            platform,
            "contacts",
            "/customers",
            {
                "name": name,
                "email": email,
                "phone": mobile,
                "acquisition_channel": "referral",
                "owner": "marta",
            },
            CONTACTS,
        )
    )
    customer = registered["customer_id"]
    base = f"/customers/{customer}"

    new_name = s.add("new name", f"Zoé Ñúñez-Peñalver-{tag}")
    s.add("new name: surname", f"Peñalver-{tag}")
    ok(post(platform, "contacts", f"{base}/name", {"name": new_name}, CONTACTS))

    work = s.add("work e-mail", f"Zoe.Trabajo.{tag}@Example.ORG")
    s.add("work e-mail: lower-cased", normalise_email(work))
    landline = s.add("landline", f"+34 91 {digits(3)} {digits(2)} {digits(2)}")
    s.add("landline: E.164", normalise_phone(landline))
    whatsapp = s.add("whatsapp", f"+34 6{digits(2)} {digits(3)} {digits(3)}")
    s.add("whatsapp: E.164", normalise_phone(whatsapp))
    postal = s.text("postal address", f"C/ {s.word('Almendro')} 7, {s.word('Valdeolmos')}")
    website = s.add("website", f"https://Zoe{tag}.Example/")
    s.add("website: host", f"zoe{tag}.example")
    linkedin = s.add("linkedin", f"https://www.linkedin.com/in/zoe-nunez-{tag}")
    s.add("linkedin: handle", f"zoe-nunez-{tag}")
    for kind, value in (
        ("email", work),
        ("landline", landline),
        ("whatsapp", whatsapp),
        ("postal", postal),
        ("website", website),
        ("linkedin", linkedin),
    ):
        ok(post(platform, "contacts", f"{base}/contact-points", {"kind": kind, "value": value}))

    birthday = s.add("birthday", f"19{digits(1)}1-07-{random.randint(10, 28)}")
    ok(post(platform, "contacts", f"{base}/personal-dates", {"kind": "birthday", "date": birthday}))
    note = s.text(
        "family note",
        f"Hija {s.word('Begoña')} toca el {s.word('violonchelo')}; "
        f"y {s.word('Ramón')} {s.word('Ibáñez')}",
    )
    ok(post(platform, "contacts", f"{base}/family-notes", {"note": note}, CONTACTS))
    hobby = s.text("hobby", f"{s.word('Cerámica')} {s.word('japonesa')}")
    club = s.text("membership", f"Club {s.word('Náutico')} de {s.word('Torrevieja')}")
    for kind, value in (("hobby", hobby), ("membership", club)):
        ok(post(platform, "contacts", f"{base}/interests", {"kind": kind, "value": value}))

    # A second customer with the same e-mail: reported as a duplicate, merged into the first.
    other_name = s.add("duplicate's name", f"Z. Ñúñez {s.word('Bartolomé')}")
    duplicate = ok(
        post(
            platform,
            "contacts",
            "/customers",
            {"name": other_name, "email": email.upper()},
            CONTACTS,
        )
    )
    merged = duplicate["customer_id"]
    assert [d["customer_id"] for d in duplicate["possible_duplicates"]] == [customer], duplicate
    ok(post(platform, "contacts", f"/customers/{merged}/merge", {"survivor_id": customer}))

    # Every free text is personal data: subjects, outcomes, titles, places and reasons too.
    record_profile_reasons(platform, s, base)
    summary = s.text(
        "interaction summary",
        f"Dijo {s.word('preocupada')} por su {s.word('rodilla')} tras {s.word('Mallorca')}",
    )
    subject = s.text("interaction subject", f"Pedido de {s.word('Gumersinda')}")
    outcome = s.text("interaction outcome", f"Llamar a {s.word('Florinda')} {s.word('Zabala')}")
    ok(
        post(
            platform,
            "contacts",
            "/interactions",
            {
                "customer_id": customer,
                "channel": "phone_call",
                "direction": "inbound",
                "subject": subject,
                "summary": summary,
                "outcome": outcome,
                "duration_s": 180,
            },
            CONTACTS,
        )
    )
    notes = s.text(
        "activity notes",
        f"Ver {s.word('muestras')} para {s.word('Inmaculada')} en {s.word('Getafe')}",
    )
    schedule_activities(platform, s, customer, notes)
    drive_sales(platform, s, customer)
    ok(
        post(
            platform,
            "campaigns",
            f"/campaigns/{uuid.uuid4()}/responses",
            {"customer_id": customer, "response": "converted", "channel": "email"},
            "campaigns:write",
        )
    )
    description = s.text(
        "case description",
        f"La {s.word('lámpara')} rota en casa de {s.word('Eustaquio')}, {s.word('Alcobendas')}",
    )
    ok(
        post(
            platform,
            "support",
            "/cases",
            {
                "customer_id": customer,
                "kind": "complaint",
                "subject": s.text("case subject", f"{s.word('Lámpara')} de {s.word('Remedios')}"),
                "description": description,
            },
            "support:write",
        )
    )
    return customer, merged


def drive_sales(platform, s: Secrets, customer: str) -> None:
    """An order, and a quote with its personal free texts."""
    ok(
        post(
            platform,
            "sales",
            "/orders",
            {
                "customer_id": customer,
                "currency": "EUR",
                "payment_method": "card",
                "lines": [{"sku": "LAMP-1", "quantity": 2, "unit_price": "19.95"}],
            },
            "sales:write",
        )
    )
    drive_quote(platform, s, customer)


def drive_quote(platform, s: Secrets, customer: str) -> None:
    """A quote's title and a rejection's note are free texts: personal (ADR 35)."""
    sku = f"Q-{letters()}"
    product = {"sku": sku, "name": "Lamp", "category": "Lighting", "prices": {"EUR": "10.00"},
               "tax_rate": "21"}  # fmt: skip
    ok(post(platform, "sales", "/products", product, "sales:write"))
    # Every word of over 4 letters is a needle: each is made distinctive.
    title = s.text(
        "quote title", f"{s.word('Lámparas')} para {s.word('Bartolomé')} en {s.word('Leganés')}"
    )
    quote = ok(
        post(platform, "sales", "/quotes",
             {"customer_id": customer, "title": title, "currency": "EUR",
              "lines": [{"sku": sku, "quantity": 2}]}, "sales:write"),
    )["quote_id"]  # fmt: skip
    ok(post(platform, "sales", f"/quotes/{quote}/sending", {}, "sales:write"))
    note = s.text(
        "rejection note", f"{s.word('Eufrasia')} {s.word('prefiere')} {s.word('Carabanchel')}"
    )
    ok(post(platform, "sales", f"/quotes/{quote}/rejection", {"reason": "price", "note": note},
            "sales:write"))  # fmt: skip


def record_profile_reasons(platform, s: Secrets, base: str) -> None:
    """How the customer found us and why their lifecycle changed, as free texts."""
    detail = s.text("acquisition detail", f"Vino por {s.word('Leocadia')} {s.word('Urrutia')}")
    ok(put(platform, f"{base}/acquisition", {"channel": "referral", "detail": detail}))
    why = s.text("lifecycle reason", f"Se muda con {s.word('Hermenegildo')} a {s.word('Lugo')}")
    ok(put(platform, f"{base}/lifecycle", {"lifecycle": "active", "reason": why}))


def schedule_activities(platform, s: Secrets, customer: str, notes: str) -> None:
    """Three activities with personal free texts: one cancelled, one completed, one open."""
    title = s.text("activity title", f"Visita a {s.word('Casilda')} {s.word('Arrieta')}")
    place = s.text("activity location", f"Calle {s.word('Membrillo')} 3, {s.word('Tomelloso')}")
    for n, closed in enumerate(("cancel", "complete", None)):
        scheduled = ok(
            post(
                platform,
                "contacts",
                "/activities",
                {
                    "customer_id": customer,
                    "owner": "marta",
                    "kind": "meeting",
                    "title": title,
                    "starts_at": f"2026-12-0{n + 1}T09:00:00Z",
                    "ends_at": f"2026-12-0{n + 1}T10:00:00Z",
                    "location": place,
                    "notes": notes,
                },
                CONTACTS,
            )
        )
        if closed is not None:
            note = s.text(f"activity {closed} note", f"Por {s.word('Eulalia')} {s.word('Sarasa')}")
            path = f"/activities/{scheduled['activity_id']}/{closed}"
            ok(post(platform, "contacts", path, {"note": note}, CONTACTS))


def captured_lead(platform, s: Secrets, tag: str, who: str) -> str:
    """A lead holding every personal field, its values labelled by `who`; its id."""
    lead_id = str(uuid.uuid4())
    body = {
        "lead_id": lead_id,
        "person_name": s.add(f"{who}'s name", f"{s.word('Eulalia')} Quiñones-{tag}"),
        "company_name": s.text(f"{who}'s company", f"{s.word('Cerámicas')} {s.word('Benavente')}"),
        "email": s.add(f"{who}'s e-mail", f"{s.word('Eulalia')}.{tag}@Lead.Example"),
        "phone": s.add(f"{who}'s phone", f"+34 6{digits(2)} {digits(3)} {digits(3)}"),
        "product_interest": s.text(
            f"{who}'s product interest", f"{s.word('Candelabros')} para {s.word('Zaragoza')}"
        ),
        "estimated_value": "900.00",
        "currency": "EUR",
        "channel": "trade_fair",
        "notes": s.text(f"{who}'s notes", f"Su {s.word('cuñado')} {s.word('Fermín')} vino"),
        "owner": "marta",
    }
    s.add(f"{who}'s e-mail: lower-cased", body["email"].lower())
    s.add(f"{who}'s phone: digits", "".join(ch for ch in body["phone"] if ch.isdigit()))
    ok(post(platform, "sales", "/leads", body, "sales:write"))
    return lead_id


def drive_conversion(platform, s: Secrets, tag: str, customer: str | None) -> str:
    """A lead qualified and converted (ADR 29): into a new customer, whom contacts registers
    from the event, or found to be `customer`, so erasing the customer shreds the lead's key
    too; its id."""
    lead_id = captured_lead(platform, s, tag, f"lead converted into {customer or 'a new one'}")
    for step in ("work", "qualification"):
        ok(post(platform, "sales", f"/leads/{lead_id}/{step}", {}, "sales:write"))
    body = {} if customer is None else {"customer_id": customer}
    ok(post(platform, "sales", f"/leads/{lead_id}/conversion", body, "sales:write"))
    return lead_id


def drive_lead(platform, s: Secrets, tag: str) -> str:
    """A lead reassigned and disqualified with a note; its id."""
    lead_id = captured_lead(platform, s, tag, "lead")
    base = f"/leads/{lead_id}"
    owner = httpx.put(
        f"{platform.urls['sales']}{base}/owner",
        json={"owner": "luis"},
        headers=token(),
        timeout=10,
    )
    ok(owner)
    note = s.text(
        "disqualification note", f"Se fue con {s.word('Cristalerías')} {s.word('Ordóñez')}"
    )
    disqualified = {"reason": "went with a competitor", "note": note}
    ok(post(platform, "sales", f"{base}/disqualification", disqualified, "sales:write"))
    return lead_id


def lead_timeline(platform, lead_id: str) -> list[dict[str, Any]]:
    answer = httpx.get(
        f"{platform.urls['projections']}/customers/{prospect_id_of(lead_id)}/timeline",
        headers=token("projections:read"),
    )
    return answer.json()["items"] if answer.status_code == 200 else []


async def ingest(platform, s: Secrets, customer: str, label: str = "ingested summary") -> None:
    summary = s.text(
        label,
        f"Pide {s.word('factura')} a de {s.word('Wenceslao')} {s.word('Ortuño')}",
    )
    body = {
        "source": "callcentre",
        "external_id": uuid.uuid4().hex,
        "customer_id": customer,
        "channel": "phone_call",
        "direction": "inbound",
        "subject": s.text(f"{label}: subject", f"Factura de {s.word('Olegario')}"),
        "summary": summary,
        "duration_s": 240,
    }
    producer = AIOKafkaProducer(bootstrap_servers=platform.kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(
            INGEST_TOPIC, json.dumps(body).encode(), key=body["external_id"].encode()
        )
    finally:
        await producer.stop()


async def ingest_leads(platform, s: Secrets, tag: str) -> str:
    """A lead with the customer's e-mail and one refused (its channel), both on sales' ingest
    topic, from a sender named `source`; the id of the lead captured."""
    await wait_for(
        lambda: group_caught_up(platform.kafka_bootstrap, POINTS_GROUP, ("crm.contacts.events",)),
        20,
        "sales learnt the customer's e-mail",
    )
    source = f"form{tag}"  # not personal: kept on the rejected copy, a canary of that topic
    good = {
        "source": source,
        "external_id": uuid.uuid4().hex,
        "person_name": s.add("ingested lead's name", f"Leandra Quirós-{tag}"),
        "email": s.values["e-mail"],  # the customer's: a possible duplicate of theirs
        "phone": s.add("ingested lead's phone", f"+34 6{digits(2)} {digits(3)} {digits(3)}"),
        "notes": s.text("ingested lead's notes", f"Viene de {s.word('Almudena')} {s.word('Roig')}"),
        "channel": "web_form",
    }
    s.add("ingested lead's phone: E.164", normalise_phone(good["phone"]))
    refused = {
        **good,
        "external_id": uuid.uuid4().hex,
        "person_name": s.add("refused lead's name", f"Nicasia Ubeda-{tag}"),
        "email": s.add("refused lead's e-mail", f"nicasia.{tag}@Refused.Example"),
        "channel": "carrier pigeon",
    }
    producer = AIOKafkaProducer(bootstrap_servers=platform.kafka_bootstrap)
    await producer.start()
    try:
        for body in (good, refused):
            value = json.dumps(body).encode()
            await producer.send_and_wait(
                LEADS_INGEST_TOPIC, value, key=body["external_id"].encode()
            )
    finally:
        await producer.stop()
    return lead_id_for(source, good["external_id"])


# --- scanning ----------------------------------------------------------------------------

CANARY = "canary"  # a non-personal value (the customer id) that proves a place was read
Hit = tuple[str, str, str]  # (place, where in it, label of the value found)


def hits_at(place: str, where: str, text: str, needles: dict[str, str]) -> list[Hit]:
    return [(place, where, label) for label in hits(text, needles)]


async def scan_kafka(bootstrap: str, needles: dict[str, str]) -> list[Hit]:
    """Every topic but Kafka's own, from the beginning: keys, values and header values."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        topics = [t for t in await admin.list_topics() if not t.startswith("__")]
        described = await admin.describe_topics(topics)
    finally:
        await admin.close()
    partitions = [
        TopicPartition(t["topic"], p["partition"]) for t in described for p in t["partitions"]
    ]
    found: list[Hit] = []
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        group_id=None,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        await consumer.seek_to_beginning(*partitions)
        left = {tp for tp in partitions if await consumer.position(tp) < ends[tp]}
        deadline = time.monotonic() + SCAN_TIMEOUT_S
        while left:
            assert time.monotonic() < deadline, f"Kafka not read in {SCAN_TIMEOUT_S}s: {left}"
            batches = await consumer.getmany(*left, timeout_ms=500, max_records=5000)
            for tp, records in batches.items():
                for record in records:
                    if record.offset >= ends[tp]:
                        continue
                    where = f"partition {tp.partition} offset {record.offset}"
                    parts = [("key", record.key), ("value", record.value)]
                    parts += [(f"header {k}", v) for k, v in record.headers or ()]
                    for part, raw in parts:
                        if raw:
                            text = raw.decode("utf-8", errors="replace")
                            found += hits_at(f"topic {tp.topic}", f"{where} {part}", text, needles)
            for tp in list(left):
                if await consumer.position(tp) >= ends[tp]:
                    left.discard(tp)
    finally:
        await consumer.stop()
    return found


async def scan_store(platform, needles: dict[str, str]) -> tuple[list[Hit], set[str]]:
    """Every database of this platform (services, vault, read models): every document."""
    prefix = platform.vault_database.removesuffix("vault")  # e2e_<run>_
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(platform.mongo_url, tz_aware=True)
    found: list[Hit] = []
    try:
        names = {n for n in await client.list_database_names() if n.startswith(prefix)}
        for db_name in sorted(names):
            db = client[db_name]
            for collection in await db.list_collection_names():
                async for doc in db[collection].find({}):
                    text = json.dumps(doc, default=str, ensure_ascii=False)
                    where = f"collection {collection} _id={doc.get('_id')!r}"
                    found += hits_at(f"database {db_name}", where, text, needles)
    finally:
        await client.close()
    return found, names


def scan_logs(platform, needles: dict[str, str]) -> list[Hit]:
    found: list[Hit] = []
    for name, process in platform.processes.items():
        lines = process.log_file.read_text(encoding="utf-8", errors="replace").splitlines()
        assert any('"request"' in line for line in lines), f"no request logged in {name}'s log"
        for number, line in enumerate(lines, 1):
            found += hits_at(f"log of {name}", f"line {number}", line, needles)
    return found


# --- the test ----------------------------------------------------------------------------


async def test_no_personal_data_in_clear_anywhere_after_erasure(platform) -> None:
    s = Secrets()
    tag = letters(8)
    customer, merged = await asyncio.to_thread(drive, platform, s, tag)
    lead_id = await asyncio.to_thread(drive_lead, platform, s, tag)
    converted = await asyncio.to_thread(drive_conversion, platform, s, tag, customer)
    new_lead = await asyncio.to_thread(drive_conversion, platform, s, tag, None)
    new_customer = prospect_id_of(new_lead)
    await ingest(platform, s, customer)
    ingested_lead = await ingest_leads(platform, s, tag)
    view = await asyncio.to_thread(
        view_when,
        platform,
        customer,
        lambda v: (
            v["interactions"]["count"] >= 2
            and v["sales"]["orders_count"] == 1
            and v["support"]["open_cases"] == 1
            and v["merged_from"] == [merged]
            and (v["sales"]["origin"] or {}).get("id") == converted
        ),
    )
    assert tag in json.dumps(view), view  # the values were readable before the erasure
    registered = await asyncio.to_thread(
        view_when, platform, new_customer, lambda v: v["registration"] == "registered"
    )
    assert tag in json.dumps(registered)  # contacts registered the lead's person
    await wait_for(
        lambda: asyncio.to_thread(lambda: len(lead_timeline(platform, lead_id)) == 3),
        20,
        "the lead's events in its timeline",
    )
    assert tag in json.dumps(await asyncio.to_thread(lead_timeline, platform, lead_id))
    await wait_for(
        lambda: asyncio.to_thread(lambda: len(lead_timeline(platform, ingested_lead)) >= 2),
        20,
        "the ingested lead captured and reported as the customer's possible duplicate",
    )
    reported = [
        (i["data"]["other_id"], i["data"]["reason"])
        for i in await asyncio.to_thread(lead_timeline, platform, ingested_lead)
        if i["type"] == "crm.sales.LeadPossibleDuplicateFound.v1"
    ]
    assert (customer, "same_email") in reported, reported

    ok(
        post(
            platform,
            "contacts",
            f"/customers/{customer}/erasure",
            {"requested_by": "the data subject, ticket DPO-9", "reason": "GDPR art. 17"},
            CONTACTS,
        )
    )
    # The person a converted lead became and its company (an organisation is erased on its
    # own: erasing a person leaves the company they worked for).
    for erased in (new_customer, organisation_id_of(new_lead)):
        ok(
            post(
                platform,
                "contacts",
                f"/customers/{erased}/erasure",
                {"requested_by": "the data subject, ticket DPO-10", "reason": "GDPR art. 17"},
                CONTACTS,
            )
        )
        await asyncio.to_thread(view_when, platform, erased, lambda v: v["erased"])
    # A system that has not heard of the erasure sends one more interaction: it is refused.
    await ingest(platform, s, customer, "summary ingested after the erasure")
    await asyncio.to_thread(view_when, platform, customer, lambda v: v["erased"])
    group = platform.env["projections"]["CRM_CONSUMER_GROUP"]
    await wait_for(
        lambda: group_caught_up(platform.kafka_bootstrap, group), 20, "projections caught up"
    )
    for group, topic in ((INGEST_GROUP, INGEST_TOPIC), (LEADS_INGEST_GROUP, LEADS_INGEST_TOPIC)):
        await wait_for(
            lambda: group_caught_up(platform.kafka_bootstrap, group, (topic,)),  # noqa: B023
            20,
            f"{topic} consumed",
        )
        # An ingest topic is a hand-off: handled records are deleted (ADR 18).
        await wait_for(
            lambda: ingest_purged(platform.kafka_bootstrap, topic),  # noqa: B023
            20,
            f"{topic} purged",
        )
    export = await asyncio.to_thread(
        httpx.get,
        f"{platform.urls['contacts']}/customers/{customer}/export",
        headers=token("contacts:read"),
    )
    assert export.status_code == 200 and export.json()["erased"] is True, export.text

    needles = {**s.needles(), customer: CANARY, f"form{tag}": CANARY}
    in_kafka = await scan_kafka(platform.kafka_bootstrap, needles)
    in_store, databases = await scan_store(platform, needles)
    in_logs = await asyncio.to_thread(scan_logs, platform, needles)
    found = in_kafka + in_store + in_logs

    # Each place was really read: the customer id (not personal) shows in every one of them.
    read = {place for place, _, label in found if label == CANARY}
    must_read = {
        *(f"topic crm.{c}.events" for c in CONTEXTS),
        "topic crm.contacts.interactions.rejected",
        "topic crm.sales.leads.rejected",
        *(f"database {db}" for db in (*platform.databases.values(), platform.vault_database)),
    }
    assert must_read <= read, f"never saw the customer id in {sorted(must_read - read)}"
    assert {*platform.databases.values(), platform.vault_database} <= databases

    leaks = sorted(
        {f"{place}, {where}: {label}" for place, where, label in found if label != CANARY}
    )
    assert not leaks, (
        f"{len(leaks)} personal values found in clear after the erasure of {customer}:\n"
        + "\n".join(leaks)
    )


async def ingest_purged(bootstrap: str, topic: str = INGEST_TOPIC) -> bool:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    try:
        [described] = await admin.describe_topics([topic])
        partitions = [TopicPartition(topic, p["partition"]) for p in described["partitions"]]
        starts = await consumer.beginning_offsets(partitions)
        ends = await consumer.end_offsets(partitions)
        return bool(partitions) and all(starts[tp] == ends[tp] for tp in partitions)
    finally:
        await consumer.stop()
        await admin.close()
