"""Which phone numbers and bots belong to the tenant being loaded, and which to the others."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from reportlib.params import TenantParams


def digits(text: object) -> str:
    return "".join(ch for ch in str(text) if ch.isdigit())


@dataclass(frozen=True)
class Ownership:
    """Identifiers are compared case-insensitively: bots are kept lower-case here."""

    own_phones: frozenset[str]
    other_phones: frozenset[str]
    own_displays: frozenset[str]
    other_displays: frozenset[str]
    own_bots: frozenset[str]
    other_bots: frozenset[str]
    # WhatsApp Business Accounts (`entry[].id`): what names an account-level webhook's owner.
    own_wabas: frozenset[str] = frozenset()
    other_wabas: frozenset[str] = frozenset()


def ownership(tenant: TenantParams, others: Iterable[TenantParams]) -> Ownership:
    others = list(others)
    own_bots = frozenset(b.lower() for b in tenant.bots)
    return Ownership(
        own_phones=frozenset(tenant.phone_number_ids()),
        other_phones=frozenset(p for o in others for p in o.phone_number_ids())
        - tenant.phone_number_ids(),
        own_displays=frozenset(digits(p.display_phone_number) for p in tenant.phone_numbers),
        other_displays=frozenset(
            digits(p.display_phone_number) for o in others for p in o.phone_numbers
        ),
        own_bots=own_bots,
        other_bots=frozenset(b.lower() for o in others for b in o.bots) - own_bots,
        own_wabas=frozenset(p.waba_id for p in tenant.phone_numbers if p.waba_id),
        other_wabas=frozenset(p.waba_id for o in others for p in o.phone_numbers if p.waba_id)
        - frozenset(p.waba_id for p in tenant.phone_numbers),
    )
