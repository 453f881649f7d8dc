"""Money as a reader checks it: amounts in cents, a difference of two amounts that of the
amounts shown, parts in cents that add up to the difference shown; a table's dates with the
whole year. Worked by hand."""

from __future__ import annotations

from datetime import date

import pytest

from reportlib.look.i18n import Formatter, split_cents


@pytest.mark.parametrize(("minuend", "subtrahend", "en", "pt"), [
    (1.226, 1.224, "$0.01", "US$\xa00,01"),      # $1.23 − $1.22 (0.002 precisely)
    (1.224, 1.226, "\u2212$0.01", "\u2212US$\xa00,01"),
    (1.2249, 1.2201, "$0.00", "US$\xa00,00"),    # both shown $1.22
    (0.136, 0.204, "\u2212$0.06", "\u2212US$\xa00,06"),    # $0.14 − $0.20 (−0.068 precisely)
    (None, 1.0, "–", "–"),
])
def test_a_money_difference_is_that_of_the_amounts_shown(minuend, subtrahend, en, pt):
    assert Formatter("en").money_difference(minuend, subtrahend) == en
    assert Formatter("pt-BR").money_difference(minuend, subtrahend) == pt


def test_a_negative_figure_is_set_with_the_minus_sign_not_a_hyphen():
    # "-3,2%" read as a hyphen before the figure; print sets the minus sign (U+2212).
    pt, en = Formatter("pt-BR"), Formatter("en")
    assert pt.number(-1234.5, 1) == "\u22121.234,5" and en.number(-1234) == "\u22121,234"
    assert pt.percent(-0.032) == "\u22123,2%" and en.percent(-0.032) == "\u22123.2%"
    assert pt.money(-0.06) == "\u2212US$\xa00,06" and en.money(-0.06) == "\u2212$0.06"
    assert en.rate(-0.5) == "\u22120.5000"
    assert "-" not in pt.number(-3) + pt.percent(-1) + pt.money(-1) + en.money(-1)
    # Positive figures and a zero that rounds from a negative one have no sign at all.
    assert (pt.number(3), pt.money(-0.001), pt.percent(0.5)) == ("3", "US$\xa00,00", "50,0%")


@pytest.mark.parametrize(("total", "parts", "shown"), [
    (-0.06, [-0.068, 0.0], [-0.06, 0.0]),          # one cause, all of the difference
    (0.01, [0.002], [0.01]),
    # Rounded alone, the three parts make 0.09: the missing cent goes to the part that
    # rounding took down most (0.034).
    (0.10, [0.034, 0.033, 0.033], [0.04, 0.03, 0.03]),
    (0.09, [0.034, 0.033, 0.033], [0.03, 0.03, 0.03]),
    (0.50, [0.7, -0.2049], [0.7, -0.2]),
    (0.0, [], []),
])
def test_parts_in_cents_add_up_to_the_total_shown(total, parts, shown):
    assert split_cents(total, parts) == shown
    assert round(sum(shown), 2) == total or not parts


def test_a_tables_date_writes_the_year_whole_in_both_languages():
    # English's own short form wrote "11/20/26" beside pt-BR's "20/11/2026".
    assert Formatter("en").date(date(2026, 11, 20), "short") == "11/20/2026"
    assert Formatter("pt-BR").date(date(2026, 11, 20), "short") == "20/11/2026"
    assert Formatter("en").date(date(2026, 11, 20)) == "November 20, 2026"


# Two things English tells apart that Portuguese may call alike: a consumption row's initiator
# ("Iniciadas pela empresa") and a ticket's source (campaign, agent's message) are each an
# "Origem", in reports of their own.
SHARED_PT = {"origem"}


def test_a_pt_br_label_names_one_thing():
    # The consumption cost table headed its pricing-model column "Modelo" ("Por mensagem"),
    # the word the campaigns and desk tables head their template column with.
    from collections import defaultdict

    from reportlib.look.i18n import LABELS

    meanings = defaultdict(set)
    for words in LABELS.values():
        if "pt-BR" in words and "en" in words:
            meanings[words["pt-BR"].lower()].add(words["en"].lower())
    clashes = {pt: en for pt, en in meanings.items() if len(en) > 1 and pt not in SHARED_PT}
    assert clashes == {}
    assert LABELS["era"]["pt-BR"] != LABELS["template"]["pt-BR"] == "Modelo"


# English words whose Portuguese differs by agreement (singular, plural, gender): a campaign
# "Enviada", messages "Enviadas"; a message "Expirada", a count of them "Expiradas". "Sending"
# is not one of them: a campaign still sending read "Em envio" beside the desk's "Enviando"
# (the platform's own word) for the same status.
INFLECTED_EN = {"sent", "failed", "messages", "meta", "read", "delivered", "expired"}


def test_an_english_label_has_one_pt_br_name_in_every_report():
    # Meta's cost was "Custo Meta" in the consumption table and "Custo da Meta" in the
    # reconciliation's column, one number under two names.
    import importlib
    from collections import defaultdict

    from reportlib import registry
    from reportlib.look.i18n import LABELS

    names = defaultdict(set)
    tables = [LABELS, *({k: v for k, v in importlib.import_module(
        f"reportlib.reports.{r}").PROSE.items() if k.startswith("column.")}
        for r in registry.names())]
    for table in tables:
        for words in table.values():
            if "pt-BR" in words and "en" in words:
                names[words["en"].lower()].add(words["pt-BR"])
    assert {en: pt for en, pt in names.items() if len(pt) > 1 and en not in INFLECTED_EN} == {}


@pytest.mark.parametrize(("start", "end", "pt", "en"), [
    (date(2026, 10, 1), date(2026, 10, 15), "1º a 15 de outubro de 2026", "October 1–15, 2026"),
    (date(2026, 10, 20), date(2026, 11, 19), "20 de outubro a 19 de novembro de 2026",
     "October 20 – November 19, 2026"),
    (date(2025, 12, 20), date(2026, 1, 5), "20 de dezembro de 2025 a 5 de janeiro de 2026",
     "December 20, 2025 – January 5, 2026"),
    (date(2026, 11, 1), date(2026, 11, 1), "1º de novembro de 2026", "November 1, 2026"),
])
def test_a_span_of_days_writes_what_its_ends_share_once(start, end, pt, en):
    # Headers and comparisons said "1 de outubro de 2026 – 15 de outubro de 2026".
    assert Formatter("pt-BR").date_range(start, end) == pt
    assert Formatter("en").date_range(start, end) == en


def test_the_first_of_a_month_is_an_ordinal_in_portuguese():
    pt = Formatter("pt-BR")
    assert (pt.date(date(2025, 7, 1)), pt.day_month(date(2025, 7, 1))) == (
        "1º de julho de 2025", "1º de julho")
    assert (pt.date(date(2025, 7, 11)), pt.date(date(2025, 7, 1), "short")) == (
        "11 de julho de 2025", "01/07/2025")
    assert Formatter("en").date(date(2025, 7, 1)) == "July 1, 2025"


def test_a_duration_is_said_in_the_unit_a_reader_counts_it_in():
    """"90% within 274 min" (an English reader pass): hours from 90 minutes, days from two
    days; under a minute is 1 min. Worked out: 274 / 60 = 4.57 → 4.6 h; 5,000 / 1,440 = 3.47
    → 3.5 days; 2,879 / 60 = 47.98 → 48.0 h."""
    from reportlib.look.i18n import Formatter

    pt, en = Formatter("pt-BR"), Formatter("en")
    assert [en.duration(m) for m in (0.4, 26, 89.4, 90, 274, 2879, 2880, 5000, None)] == [
        "1\u00a0min", "26\u00a0min", "89\u00a0min", "1.5\u00a0h", "4.6\u00a0h", "48.0\u00a0h",
        "2.0 days", "3.5 days", "–"]
    assert [pt.duration(m) for m in (26, 274, 5000)] == ["26\u00a0min", "4,6\u00a0h", "3,5 dias"]


def test_the_reader_is_never_called_the_client_nor_their_time_zone_left_unnamed():
    # pt-BR called the reader "o cliente" ("fuso do cliente", "meta do cliente", "parâmetros do
    # cliente") where English says "your", and the attendance report's next sentence calls
    # the person who gave up waiting "o cliente" too: two people under one word. The time zone
    # is named, as in every other sentence ("fuso de São Paulo", "Sao Paulo time zone"),
    # not "your account's time zone".
    import importlib
    import re

    from reportlib import registry
    from reportlib.look.i18n import LABELS

    tables = [LABELS]
    for name in registry.names():
        module = importlib.import_module(f"reportlib.reports.{name}")
        tables += [getattr(module, table) for table in ("PROSE", "NOTES")
                   if hasattr(module, table)]
    reader = re.compile(r"\b(fuso|meta|parâmetros|configurações) do cliente\b")
    found = [(words.get("pt-BR"), words.get("en")) for table in tables
             for words in table.values()
             if reader.search(words.get("pt-BR", ""))
             or "your account's time zone" in words.get("en", "")]
    assert found == []
