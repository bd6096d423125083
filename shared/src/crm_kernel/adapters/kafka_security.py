"""How every Kafka client of a service authenticates to the broker and encrypts its traffic.

Locally the broker listens on loopback without authentication (PLAINTEXT). Production sets
`CRM_KAFKA_SECURITY_PROTOCOL=SASL_SSL` with a SCRAM user per service (docs/security.md). The
settings are read from the environment where a client is made, like the bootstrap address:
FastStream's broker, the topic admin, the ingest hand-off and the replay consumer all get the
same options from `broker_security` and `client_options`, so no client can be left in clear.
"""

from __future__ import annotations

import ssl
from typing import Any, Literal

from faststream.kafka.security import parse_security
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512
from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SASL = {"PLAIN": SASLPlaintext, "SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512}


class KafkaSecurity(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CRM_KAFKA_", extra="ignore")

    # SASL_PLAINTEXT is left out on purpose: it sends the password in clear.
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "SCRAM-SHA-512"
    sasl_username: str = ""
    sasl_password: SecretStr = SecretStr("")
    # The CA that signed the broker's certificate; empty: the system's trusted CAs.
    ssl_cafile: str = ""

    @model_validator(mode="after")
    def _credentials(self) -> KafkaSecurity:
        sasl = self.security_protocol == "SASL_SSL"
        if sasl and not (self.sasl_username and self.sasl_password.get_secret_value()):
            raise ValueError(
                "CRM_KAFKA_SECURITY_PROTOCOL=SASL_SSL needs CRM_KAFKA_SASL_USERNAME and "
                "CRM_KAFKA_SASL_PASSWORD: set the service's broker user"
            )
        return self


def broker_security(settings: KafkaSecurity | None = None) -> BaseSecurity | None:
    """FastStream's security object for the configured protocol (None for PLAINTEXT)."""
    settings = settings or KafkaSecurity()
    if settings.security_protocol == "PLAINTEXT":
        return None
    context = ssl.create_default_context(cafile=settings.ssl_cafile or None)
    if settings.security_protocol == "SSL":
        return BaseSecurity(ssl_context=context, use_ssl=True)
    return SASL[settings.sasl_mechanism](
        settings.sasl_username,
        settings.sasl_password.get_secret_value(),
        ssl_context=context,
        use_ssl=True,
    )


def client_options(settings: KafkaSecurity | None = None) -> dict[str, Any]:
    """The same, as keyword arguments of a raw aiokafka client (admin, consumer, producer)."""
    return dict(parse_security(broker_security(settings)))
