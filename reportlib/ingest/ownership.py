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


def shared(tenants: Iterable[TenantParams]) -> str | None:
    """The first phone number (its id, or its display number's digits) or bot two tenants
    both declare, as one line naming both files; None when every one has a single owner.
    Ownership keeps a tenant's rows out of the others' folders only for what the others alone
    declare: one declared twice let each tenant load the other's rows of it, counted twice."""
    from reportlib.params import params_file

    owners: dict[tuple[str, str], TenantParams] = {}
    for tenant in sorted(tenants, key=lambda t: t.tenant_id):
        names = [("phone number", p.phone_number_id) for p in tenant.phone_numbers]
        names += [("phone number", f"+{d}") for p in tenant.phone_numbers
                  if (d := digits(p.display_phone_number))]
        names += [("bot", b.lower()) for b in tenant.bots]
        for what, name in dict.fromkeys(names):
            first = owners.setdefault((what, name), tenant)
            if first is not tenant:
                return (f"{params_file(tenant)}: {what} {name} is also declared by "
                        f"{first.tenant_id} ({params_file(first)}): a {what} belongs to one "
                        "tenant; remove it from the one it is not")
    return None
