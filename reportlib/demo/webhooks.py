"""Meta's webhook bodies for a batch of messages: one JSON line per status event and per
reply, with the lag that makes the files arrive out of order and 3 % of events sent twice.

A body is Meta's envelope around one event. The envelope and the fixed parts of events
(pricing, errors) are serialised once with `json.dumps`; only ids and instants are filled in
per line, which is what lets the demo write tens of millions of lines.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np

from reportlib.demo.messages import Outcomes, Sends
from reportlib.demo.profiles import (
    CATEGORIES,
    DUPLICATE_EVENT_SHARE,
    ERROR_CODES,
    ERROR_TITLES,
    SENDERS,
    WEBHOOK_LAG_S,
)
from reportlib.params import PhoneNumber, TenantParams

DUPLICATE_LAG_S = 600
REPLY_LAG_S = 1
BUTTON_SHARE = 0.6  # replies to campaigns that press the template's button
STATUSES = ("sent", "delivered", "read", "failed")
Months = Callable[[np.ndarray], np.ndarray]  # instants -> local months (`LocalClock.month`)
_HOLE = "\0"


def _json(value) -> str:
    return json.dumps(value, separators=(",", ":"))


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def _envelope(phone: PhoneNumber, key: str) -> tuple[str, str]:
    """Text before and after the one event of a body sent from `phone`."""
    body = {"object": "whatsapp_business_account", "entry": [{
        "id": phone.waba_id, "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": _digits(phone.display_phone_number),
                         "phone_number_id": phone.phone_number_id},
            key: [_HOLE]}}]}]}
    head, tail = _json(body).split(_json(_HOLE))
    return head, tail


def _members(value: dict) -> str:
    """',"a":...,"b":...': members to append to an event object."""
    return "," + _json(value)[1:-1]


def _pmp_pricing(free: bool, category: str) -> str:
    return _members({"pricing": {"billable": not free, "pricing_model": "PMP",
                                 "type": "free_customer_service" if free else "regular",
                                 "category": category}})


def _error(code: int) -> str:
    title = ERROR_TITLES.get(code, "Error")
    return _members({"errors": [{
        "code": code, "title": title, "message": title,
        "error_data": {"details": "See Cloud API error codes"},
        "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"}]})


# What the tenant's customers write, in its language: the quick-reply button of campaign
# templates (its text and payload) and the text of a reply and of a message that opens a
# customer-service window. The reports quote the button: the English demo tenant's reader saw
# "Quero saber mais". Same draws in every language.
USER_WORDS = {
    "pt-BR": {"button": "Quero saber mais", "payload": "SAIBA_MAIS",
              "reply": "Oi, pode me ajudar?", "opener": "Olá, preciso de ajuda"},
    "en": {"button": "Tell me more", "payload": "TELL_ME_MORE",
           "reply": "Hi, can you help me?", "opener": "Hello, I need help"},
}


class Webhooks:
    """Builds the webhook lines of one tenant's messages."""

    def __init__(self, tenant: TenantParams) -> None:
        phones = tenant.phone_numbers
        self.words = USER_WORDS.get(tenant.locale, USER_WORDS["pt-BR"])
        self.status_envelope = np.array([_envelope(p, "statuses") for p in phones], dtype=object)
        self.reply_envelope = np.array([_envelope(p, "messages") for p in phones], dtype=object)
        self.displays = np.array([_digits(p.display_phone_number) for p in phones],
                                 dtype=object)
        # index: free_service * len(CATEGORIES) + category
        self.pmp_pricing = np.array([_pmp_pricing(free, c) for free in (False, True)
                                     for c in CATEGORIES], dtype=object)
        self.errors = {code: _error(code) for codes in ERROR_CODES.values() for code in codes}

    def _extras(self, status: str, sends: Sends, index: np.ndarray, ids: list[str],
                codes: np.ndarray, pmp: bool) -> list[str]:
        """What follows `recipient_id` in each event: pricing, conversation or errors."""
        if status in ("sent", "delivered") and pmp:
            key = sends.free_service[index] * len(CATEGORIES) + sends.category[index]
            return self.pmp_pricing[key].tolist()
        if status in ("sent", "delivered"):
            names = np.array(CATEGORIES, dtype=object)[sends.category[index]].tolist()
            return [f',"conversation":{{"id":"conv{ids[i][-10:]}","origin":{{"type":"{c}"}}}}'
                    f',"pricing":{{"billable":true,"pricing_model":"CBP","category":"{c}"}}'
                    for i, c in zip(index.tolist(), names, strict=True)]
        if status == "failed":
            return [self.errors[code] for code in codes[index].tolist()]
        return [""] * len(index)

    def _status_lines(self, status: str, sends: Sends, outcomes: Outcomes,
                      index: np.ndarray, ids: list[str], recipients: list[str],
                      pmp: bool) -> list[str]:
        """One body per message in `index` for one status."""
        stamps = np.floor(getattr(outcomes, status)[index]).astype(np.int64).tolist()
        extras = self._extras(status, sends, index, ids, outcomes.error_code, pmp)
        envelopes = self.status_envelope[sends.phone[index]].tolist()
        return [f'{head}{{"id":"{ids[i]}","status":"{status}","timestamp":"{t}",'
                f'"recipient_id":"{recipients[i][1:]}"{extra}}}{tail}'
                for (head, tail), i, t, extra in zip(envelopes, index.tolist(), stamps, extras,
                                                     strict=True)]

    def statuses(self, rng: np.random.Generator, sends: Sends, outcomes: Outcomes,
                 ids: list[str], recipients: list[str], pmp: bool,
                 month: Months) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(arrival, local month of the event, line) of every status event, duplicates
        included."""
        arrivals, months, lines = [], [], []
        for status in STATUSES:
            at = getattr(outcomes, status)
            shown = ~np.isnan(at)
            if status == "delivered":
                shown &= ~outcomes.hide_delivered
            index = np.flatnonzero(shown)
            text = np.array(self._status_lines(status, sends, outcomes, index, ids,
                                               recipients, pmp), dtype=object)
            arrival = at[index] + rng.exponential(WEBHOOK_LAG_S, len(index))
            twice = np.flatnonzero(rng.random(len(index)) < DUPLICATE_EVENT_SHARE)
            arrivals += [arrival, arrival[twice] + rng.exponential(DUPLICATE_LAG_S, len(twice))]
            months += [month(at[index]), month(at[index[twice]])]
            lines += [text, text[twice]]
        return np.concatenate(arrivals), np.concatenate(months), np.concatenate(lines)

    def openers(self, rng: np.random.Generator, sends: Sends, ids: list[str],
                recipients: list[str],
                month: Months) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(arrival, local month, line) of the users' messages that opened the customer-service
        window each `free_service` send went out in: 1 min to 20 h before it."""
        index = np.flatnonzero(sends.free_service)
        at = sends.accepted[index] - rng.uniform(60, 20 * 3600, len(index))
        envelopes = self.reply_envelope[sends.phone[index]].tolist()
        stamps = np.floor(at).astype(np.int64).tolist()
        text = [f'{head}{{"from":"{recipients[i][1:]}","id":"wamid.OP{ids[i][8:]}",'
                f'"timestamp":"{t}","type":"text","text":{{"body":"{self.words["opener"]}"}}}}'
                f'{tail}'
                for (head, tail), i, t in zip(envelopes, index.tolist(), stamps, strict=True)]
        return at + REPLY_LAG_S, month(at), np.array(text, dtype=object)

    def replies(self, rng: np.random.Generator, sends: Sends, outcomes: Outcomes,
                ids: list[str], recipients: list[str],
                month: Months) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(arrival, local month, line) of the customers' replies to the messages."""
        index = np.flatnonzero(~np.isnan(outcomes.replied))
        at = outcomes.replied[index]
        button = (sends.sender[index] == SENDERS.index("campaign")) & (
            rng.random(len(index)) < BUTTON_SHARE)
        words = self.words
        kinds = np.where(button, f',"type":"button","button":{{"text":"{words["button"]}",'
                                 f'"payload":"{words["payload"]}"}}',
                         f',"type":"text","text":{{"body":"{words["reply"]}"}}').tolist()
        phone = sends.phone[index]
        envelopes = self.reply_envelope[phone].tolist()
        displays = self.displays[phone].tolist()
        stamps = np.floor(at).astype(np.int64).tolist()
        text = [f'{head}{{"from":"{recipients[i][1:]}","id":"wamid.IN{ids[i][8:]}",'
                f'"timestamp":"{t}","context":{{"from":"{display}","id":"{ids[i]}"}}'
                f'{kind}}}{tail}'
                for (head, tail), i, t, display, kind in zip(
                    envelopes, index.tolist(), stamps, displays, kinds, strict=True)]
        return at + REPLY_LAG_S, month(at), np.array(text, dtype=object)
