"""A small sample data set, loaded through the public HTTP APIs like any client would."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
from crm_kernel.auth import ALL_SCOPES, SigningKey, issue_token

CUSTOMERS = [
    ("Ana García", "ana.garcia@example.com", "+34 612 345 678", "consumer", "person"),
    (
        "Talleres Ruiz S.L.",
        "compras@talleres-ruiz.example",
        "+34 915 555 012",
        "business",
        "organisation",
    ),
    ("Jordi Puig", "jordi.puig@example.com", None, "consumer", "person"),
    (
        "Distribuciones Norte",
        "pedidos@dnorte.example",
        "+34 944 000 111",
        "distributor",
        "organisation",
    ),
]


def load(urls: dict[str, str], key: SigningKey) -> list[str]:
    """Register the sample customers with an order, a campaign response and a case each."""
    token = issue_token(key, "sample-loader", list(ALL_SCOPES), timedelta(minutes=10))
    headers = {"Authorization": f"Bearer {token}"}
    campaign = str(uuid.uuid5(uuid.NAMESPACE_URL, "crm-sample-campaign"))
    ids = []
    with httpx.Client(headers=headers, timeout=10) as http:
        for n, (name, email, phone, customer_type, kind) in enumerate(CUSTOMERS):
            customer_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"crm-sample-{email}"))
            ids.append(customer_id)
            response = http.post(
                f"{urls['contacts']}/customers",
                json={
                    "customer_id": customer_id,
                    "name": name,
                    "email": email,
                    "phone": phone,
                    "customer_type": customer_type,
                    "kind": kind,
                },
            )
            if response.status_code == 409:
                continue  # loaded before
            response.raise_for_status()
            http.post(
                f"{urls['sales']}/orders",
                json={
                    "order_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"order-{email}")),
                    "customer_id": customer_id,
                    "currency": "EUR",
                    "payment_method": "card",
                    "lines": [
                        {"sku": f"SKU-{n + 1:03d}", "quantity": n + 1, "unit_price": "19.90"}
                    ],
                },
            ).raise_for_status()
            http.post(
                f"{urls['campaigns']}/campaigns/{campaign}/responses",
                json={"customer_id": customer_id, "response": "clicked", "channel": "email"},
            ).raise_for_status()
            http.post(
                f"{urls['support']}/cases",
                json={
                    "customer_id": customer_id,
                    "kind": "question",
                    "subject": "Delivery time",
                    "description": f"{name} asks when the order arrives",
                },
            ).raise_for_status()
    return ids
