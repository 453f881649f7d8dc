"""reportlib/domain/error_codes: the words a failed message's code is shown with."""

from __future__ import annotations

import re

import pytest

from reportlib.domain import error_codes
from reportlib.look import i18n
from reportlib.reports import campaigns, consumption, desk_followup, trust

ENGLISH_WORD = re.compile(r"\btemplates?\b", re.I)


def test_a_pt_br_meaning_or_action_calls_a_template_what_its_column_does():
    # The campaigns and desk tables head the template column "Modelo"; the failures table of
    # the same page said "Envie um template aprovado", "Template inexistente nesse idioma":
    # two names for one thing in one report.
    assert i18n.t("template", "pt-BR") == "Modelo"
    for code in error_codes.table():
        for words in (error_codes.meaning(code, "pt-BR"), error_codes.action(code, "pt-BR")):
            assert not ENGLISH_WORD.search(words), (code, words)
    assert error_codes.action(131047, "pt-BR") == "Envie um modelo aprovado"
    assert error_codes.meaning(132001, "pt-BR") == "Modelo inexistente nesse idioma ou não aprovado"
    assert error_codes.action(131047, "en") == "Send an approved template"


@pytest.mark.parametrize("module", [consumption, campaigns, desk_followup, trust])
def test_no_pt_br_sentence_of_a_report_says_template(module):
    # The consumption report's reconciliation counted "mensagens de template entregues".
    texts = getattr(module, "PROSE", None) or module.TEXT
    for key, entry in texts.items():
        words = re.sub(r"\{\w+\}", "", entry.get("pt-BR", ""))  # not its placeholders
        assert not ENGLISH_WORD.search(words), (module.__name__, key)


def test_a_figure_and_its_unit_stay_on_one_line():
    # On a phone the failures table read "More than 24" / "h since the user's last message"
    # and "Retry after 24" / "h or more": in every report's HTML (present.esc, the one place
    # text is written out) a no-break space holds "24 h" together; the meanings themselves,
    # which the extracts write into data files, keep their plain spaces.
    from reportlib.look import present

    assert present.esc(error_codes.meaning(131047, "en")) == (
        "More than 24\u00a0h since the user&#x27;s last message: needs a template")
    assert present.esc(error_codes.action(131049, "en")) == "Retry after 24\u00a0h or more"
    assert present.esc(error_codes.action(131049, "pt-BR")) == \
        "Tente de novo após 24\u00a0h ou mais"
    assert error_codes.action(131049, "en") == "Retry after 24 h or more"
    for code in error_codes.table():
        for locale in ("en", "pt-BR"):
            for words in (error_codes.meaning(code, locale), error_codes.action(code, locale)):
                for html in (present.esc(words), present.table(["x"], [[words]])):
                    assert not re.search(r"\d (h|min|d)\b", html), (code, html)
