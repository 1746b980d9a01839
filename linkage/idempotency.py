"""A create sent with an ``Idempotency-Key`` (docs/linkage-api.md, "Calls"): what is kept of
the request so that a retry gets the first answer. linkage_key_create (linkage/services.py)
uses these inside its own transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from linkage.models import IdempotentCreate, LinkageKey

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IdempotentRequest:
    """A create sent with an ``Idempotency-Key`` (docs/linkage-api.md, "Calls"): the client,
    its key, and a hash of the body, so that a retry gets the first answer and a different
    body under the same key is refused."""

    client_id: str
    idempotency_key: str
    request_hash: str


def idempotent_record(idempotent: IdempotentRequest) -> IdempotentCreate | None:
    """The record of an earlier create by this client under this key, if there is one."""
    return (
        IdempotentCreate.objects.select_related("linkage_key__practice", "linkage_key__patient")
        .filter(client_id=idempotent.client_id, idempotency_key=idempotent.idempotency_key)
        .first()
    )


def idempotent_remember(idempotent: IdempotentRequest, key: LinkageKey) -> None:
    """In the create's own transaction: the key is never kept without its request's record."""
    try:
        with transaction.atomic():
            IdempotentCreate.objects.create(
                client_id=idempotent.client_id,
                idempotency_key=idempotent.idempotency_key,
                request_hash=idempotent.request_hash,
                linkage_key=key,
            )
    except IntegrityError:
        # The same Idempotency-Key, at the same moment, for another patient's body: the
        # first record stands, and this create stands as an ordinary one.
        logger.warning("Idempotency-Key recorded twice; the first record stands")
