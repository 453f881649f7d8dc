"""Meta's error codes for failed messages: meaning, retry class and what to do (docs/metrics.md).

Unknown codes are kept and shown as "Other (code N)" ("Outro (código N)"), never
dropped.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from importlib import resources

# The words of the "Retry?" column, as the failures section's note explains them; what to do
# about a code is the next column's ("Nada a fazer" for a code held out by Meta is a "não").
RETRY_LABELS = {
    "never": {"pt-BR": "não", "en": "no"},
    "later": {"pt-BR": "depois de uma espera", "en": "after a wait"},
    "yes": {"pt-BR": "sim, já", "en": "yes, now"},
    "unknown": {"pt-BR": "não se sabe", "en": "not known"},
}


@lru_cache(maxsize=1)
def table() -> dict[int, dict[str, str]]:
    path = resources.files("reportlib") / "domain" / "data" / "error_codes.csv"
    with path.open(encoding="utf-8") as handle:
        return {int(row["code"]): row for row in csv.DictReader(handle)}


def _lang(locale: str) -> str:
    return "pt" if locale.startswith("pt") else "en"


def meaning(code, locale: str = "pt-BR") -> str:
    if code is None or code != code:
        return "–"
    row = table().get(int(code))
    if row is None:
        return (f"Outro (código {int(code)})" if _lang(locale) == "pt"
                else f"Other (code {int(code)})")
    return row[f"meaning_{_lang(locale)}"]


def retry(code) -> str:
    row = table().get(int(code)) if code is not None and code == code else None
    return row["retry"] if row else "unknown"


def retry_label(code, locale: str = "pt-BR") -> str:
    labels = RETRY_LABELS[retry(code)]
    return labels.get(locale, labels["en"])


def action(code, locale: str = "pt-BR") -> str:
    row = table().get(int(code)) if code is not None and code == code else None
    if row is None:
        return "Veja o código na documentação da Meta" if _lang(locale) == "pt" else \
            "Look the code up in Meta's documentation"
    return row[f"action_{_lang(locale)}"]
