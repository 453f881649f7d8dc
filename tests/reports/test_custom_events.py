"""reportlib/reports/custom_events: funnels on hand-made events, answers worked by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from reportlib.reports.custom_events import CustomEventsReport, friction_step, funnel_table
from tests.conftest import acme_bundle
from tests.reports.help_desk_data import table_cells


def test_funnel_with_repeats_and_a_skipped_step(desk_bundle):
    report = CustomEventsReport(desk_bundle, "en")
    f = report.figures()
    # Step users: open 5 (u1..u5); choose after open 3 (u1, u3, u5; u4 chose before opening);
    # done after choose 1 (u1; u2 skipped choose). Events count every event: open 6 (u1 twice).
    assert [f[f"funnel.Compra.step{k}.users"] for k in (1, 2, 3)] == [5, 3, 1]
    assert [f[f"funnel.Compra.step{k}.events"] for k in (1, 2, 3)] == [6, 4, 2]
    table = funnel_table(report.funnels_df)
    assert table["conversion"].tolist() == [1.0, 0.6, 0.2]
    assert table["drop_off"].tolist()[1:] == [pytest.approx(0.4), pytest.approx(2 / 3)]
    assert int(friction_step(table)["step"]) == 3 and f["funnel.Compra.friction_step"] == 3
    assert (f["events"], f["users"]) == (12, 5)
    prose = " ".join(report.funnels().prose)
    assert "step 3 (pedido / done)" in prose



def test_labels_and_funnels_read_as_published(desk_bundle):
    # The label column was headed "Nome" / "Name" under "Rótulos mais frequentes"; a funnel's
    # name stood in straight quotes; without funnels the reader saw a settings key.
    for locale, label, funnel in (("pt-BR", ">Rótulo<", "Funil “Compra”"),
                                  ("en", ">Label<", "Funnel “Compra”")):
        report = CustomEventsReport(desk_bundle, locale)
        report.labels_df = pd.DataFrame({"category": ["menu"], "action": ["option_selected"],
                                         "label": ["opcao_1"], "events": [3], "users": [2]})
        assert label in report.labels().body
        assert " ".join(report.funnels().prose).startswith(funnel)
        report.funnels_df = report.funnels_df.iloc[0:0]
        none = " ".join(report.funnels().prose)
        assert "options" not in none and "funnels)" not in none, none


def test_the_busiest_day_says_it_adds_the_categories(desk_bundle):
    # The chart draws a line per category; its title gave the day's total of all of them
    # (147), a value no line reaches.
    for locale, words in (("pt-BR", "somando as categorias"), ("en", "all categories together")):
        prose = CustomEventsReport(desk_bundle, locale).trend().prose
        assert words in prose[0], prose


def test_a_funnel_says_why_its_users_are_fewer_than_the_events_tables(desk_bundle):
    # varejo_sul's October: pedido/started had 455 users in the events table and 437 in the
    # funnel, 513 events in both, with nothing saying why.
    prose = CustomEventsReport(desk_bundle, "en").funnels().prose
    assert prose[-1].startswith("A step counts the users who reached it after the steps")


def test_events_are_named_as_the_tenant_names_them(named_desk_bundle):
    # The report showed the tenant's raw values ("menu/open", "option_selected", "opcao_1"):
    # code, and English inside a Portuguese report. It shows the names of params
    # `event_names:` wherever a category, action or label is named, and a value without one
    # (pedido, open) as written.
    report = CustomEventsReport(named_desk_bundle, "pt-BR")
    events = report.events()
    assert "o mais frequente foi Menu principal / open (6)." in events.prose[0]
    assert table_cells(events.body) == [["Menu principal", "open", "6", "5"],
                                  ["Menu principal", "Opção escolhida", "4", "4"],
                                  ["pedido", "Concluído", "2", "2"]]
    funnels = report.funnels()
    assert "a etapa 3 (pedido / Concluído)" in " ".join(funnels.prose)
    assert [row[1] for row in table_cells(funnels.body)] == [
        "Menu principal / open", "Menu principal / Opção escolhida", "pedido / Concluído"]
    report.labels_df = pd.DataFrame({"category": ["menu"], "action": ["choose"],
                                     "label": ["opcao_1"], "events": [3], "users": [2]})
    assert table_cells(report.labels().body) == [["Menu principal", "Opção escolhida", "Ofertas",
                                            "3", "2"]]
    # The figures (the manifest's keys) keep the values as the data has them.
    f = report.figures()
    assert (f["events.menu.choose"], f["funnel.Compra.step3.users"]) == (4, 1)



def test_a_funnel_step_counts_every_event_of_the_step_as_the_events_table_does(tmp_path,
                                                                               params_dir):
    # An event track without ContactIdentity (an optional column) is an event all the same:
    # the events table counts it, and so does the funnel's events column of its step; it
    # reaches no step as a user (no one to follow).
    # menu/open: u1 at 10:00 and one without a contact at 10:05 -> 2 events, 1 user;
    # menu/choose: u1 at 10:01 and one without a contact at 10:06 -> 2 events, 1 user;
    # pedido/done: none -> 0 events, 0 users.
    from dataclasses import replace
    from datetime import date

    from reportlib import ingest
    from reportlib import params as params_mod
    from reportlib.domain import calendar
    from reportlib.marts import bundle
    from reportlib.marts.bundle import Bundle
    from tests.conftest import ACME, write
    from tests.reports.help_desk_data import FUNNEL

    params_mod.dump_tenant(params_dir, replace(ACME, options=FUNNEL))
    write(tmp_path / "sources/acme/event_tracks/e.csv",
          "BotId,ContactIdentity,Category,Action,StorageDate\n"
          "acme-bot,u1,menu,open,2026-10-05 10:00:00\n"
          "acme-bot,,menu,open,2026-10-05 10:05:00\n"
          "acme-bot,u1,menu,choose,2026-10-05 10:01:00\n"
          "acme-bot,,menu,choose,2026-10-05 10:06:00\n")
    results = ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", params_dir)
    assert [(r.rows_loaded, r.rows_rejected) for r in results] == [(4, 0)]
    out = tmp_path / "bundle.duckdb"
    bundle.build(tmp_path / "wh.duckdb", params_mod.load_tenant(params_dir, "acme"),
                 calendar.parse_period("2026-10"), date(2026, 11, 20), out, ("custom_events",))
    f = CustomEventsReport(Bundle.open(out), "en").figures()
    assert (f["events.menu.open"], f["events.menu.choose"]) == (2, 2)
    assert [f[f"funnel.Compra.step{k}.events"] for k in (1, 2, 3)] == [2, 2, 0]
    assert [f[f"funnel.Compra.step{k}.users"] for k in (1, 2, 3)] == [1, 1, 0]


def test_a_funnel_nobody_started_says_so_never_zero_percent(tmp_path, params_dir, monkeypatch):
    # Funnel "Carrinho": [carrinho, open] then [menu, open]; no one opened the cart in the
    # period (u1 only opened the menu): 0 users at step 1, so no share of them reaches the last
    # step. The chart's title said "0.0% of the users reach the last step" and the prose
    # nothing.
    from dataclasses import replace
    from datetime import date

    from reportlib.look import charts
    from tests.conftest import ACME

    report_bundle = acme_bundle(tmp_path, params_dir, {"event_tracks/e.csv": (
        "BotId,ContactIdentity,Category,Action,StorageDate\n"
        "acme-bot,u1,menu,open,2026-10-05 10:00:00\n")}, "2026-10", date(2026, 11, 20),
        ("custom_events",), replace(ACME, options={"funnels": [
            {"name": "Carrinho", "steps": [["carrinho", "open"], ["menu", "open"]]}]}))
    titles = []
    real = charts.funnel
    monkeypatch.setattr(charts, "funnel", lambda labels, values, title, *rest: (
        titles.append(title), real(labels, values, title, *rest))[1])
    section = CustomEventsReport(report_bundle, "en").funnels()
    assert section.prose[0] == "Funnel “Carrinho”: no user did its first step in the period."
    assert titles == ["Carrinho: no user at the first step"]
    assert "0.0%" not in section.body


def test_an_open_period_on_its_first_day_does_not_say_it_has_no_event(tmp_path, params_dir):
    # November as of Sun 1: one event on 1 Nov 10:00 (the as-of day, not complete). The
    # events table counts it; the trend draws complete days only, none yet: it said "No event
    # in the period".
    from datetime import date


    report_bundle = acme_bundle(tmp_path, params_dir, {"event_tracks/e.csv": (
          "BotId,ContactIdentity,Category,Action,StorageDate\n"
          "acme-bot,u1,menu,open,2026-11-01 10:00:00\n")},
                                "2026-11", date(2026, 11, 1), ("custom_events",))
    report = CustomEventsReport(report_bundle, "en")
    assert report.figures()["events"] == 1
    assert report.trend().prose == ["No day of the period is complete yet."]



def test_the_funnel_chart_says_what_its_axis_counts(desk_bundle, monkeypatch):
    # The funnel's value axis read "0 1 2 3 4 5" with nothing to say of what (users).
    from reportlib.look import charts

    drawn = []
    real = charts.funnel
    monkeypatch.setattr(charts, "funnel", lambda *a, **k: drawn.append(real(*a, **k))
                        or drawn[-1])
    for locale, users in (("pt-BR", "Usuários"), ("en", "Users")):
        CustomEventsReport(desk_bundle, locale).funnels()
        assert drawn[-1].axes[0].get_xlabel() == users


def test_the_funnel_tables_step_column_is_headed_as_its_cells_read(desk_bundle):
    # The cells read "menu / open" and the heading "Categoria/Ação", two ways of one pair.
    for locale, heading in (("pt-BR", ">Categoria / Ação<"), ("en", ">Category / Action<")):
        body = CustomEventsReport(desk_bundle, locale).funnels().body
        assert heading in body and " / " in table_cells(body)[0][1], body
