"""Report tables: escaped cells, and identifiers that break only where they must, after a
separator (real WeasyPrint layouts of the real stylesheet)."""

from __future__ import annotations

import pypdf
from weasyprint import HTML
from weasyprint.formatting_structure import boxes

from reportlib import render
from reportlib.look import present


def test_cells_are_escaped_and_short_identifiers_get_no_break_opportunity():
    page = present.table(
        ["Agente", "Bot", "Categoria", "Id", "N"],
        [["agente5@varejo_sul.example", "varejo-router", "Marketing",
          "wamid.HBgMVARSUL0000000123456789012", 3],
         ["<b>x</b> & y", "varejo-sac", "Utilidade", "x" * 40, 2]],
        [False, False, False, False, True])
    # Cells are escaped; user text never becomes markup.
    assert "&lt;b&gt;x&lt;/b&gt;</span> &amp; y" in page and "<b>x" not in page
    cells = page.split("<tbody>")[1]
    # An address that fits is one token: no <wbr> after its @ . _ ...
    assert '<td class="words">agente5@varejo_sul.example</td>' in cells
    # ...and a bot id is kept off its hyphen, where the line breaker would cut it.
    assert '<td class="words"><span class="token">varejo-router</span></td>' in cells
    assert cells.count('class="words"') == 6  # Agente, Bot and Categoria, two rows
    # A longer id may break only after a separator; one with no separator at all anywhere.
    assert "wamid.<wbr>HBgMVARSUL0000000123456789012" in cells
    assert '<td class="">' + "x" * 40 in cells
    assert '<td class="num">3</td>' in cells


def test_a_long_address_breaks_only_after_its_at_sign():
    cell = present._cell("maria.fernanda.souza@atendimento-varejo-sul.example")
    assert cell == ('maria.fernanda.souza@<wbr>'
                    '<span class="token">atendimento-varejo-sul.example</span>')


def lines_of_cells(page: str) -> list[list[str]]:
    """Each laid-out table body cell of a page in the real stylesheet (print): its lines."""
    document = HTML(string=(f'<!DOCTYPE html>\n<html lang="pt-BR"><head><meta charset="utf-8">'
                            f"<style>{render._stylesheet()}</style></head><body>{page}"
                            "</body></html>")).render()
    return [["".join(t.text for t in line.descendants() if isinstance(t, boxes.TextBox))
             .replace("\u200b", "") for line in cell.descendants()
             if isinstance(line, boxes.LineBox)]
            for page in document.pages for cell in page._page_box.descendants()
            if isinstance(cell, boxes.TableCellBox) and cell.element_tag == "td"]


def test_identifiers_that_fit_are_never_split_in_a_wide_table():
    # The by-agent table of desk_followup and the by-bot table of chatbots: their columns of
    # figures want more than the page, and a break opportunity inside a short identifier let
    # the layout squeeze its column ("agente1@varejo_sul." / "example", "varejo-" / "router").
    figures = ["Mensagens", "Enviando", "Enviada", "Entregue", "Lida", "Falha", "Expirada",
               "Tickets", "Taxa de ticket"]
    agents = present.table(["Agente", *figures],
                           [[f"agente{n}@varejo_sul.example", *[83] * 8, "10,8%"]
                            for n in range(1, 4)], [False, *[True] * 9])
    bots = present.table(
        ["Nível", "Bot", "Mês", "Comparado", "MAU", "Variação", "MEU", "Variação", "MSGs",
         "Variação", "MAU, variação em 1 ano"],
        [["Roteador", "varejo-router", "outubro de 2026", "01/10–31/10 vs 01/09–30/09",
          "1.228", "+3,6%", "1.059", "+5,7%", "6.941", "+4,2%", "+22,7%"],
         ["Bot", "varejo-ofertas", "outubro de 2026", "01/10–31/10 vs 01/09–30/09",
          "648", "+1,9%", "555", "+2,4%", "3.457", "-1,4%", "+23,2%"]],
        [False] * 4 + [True] * 7)
    cells = lines_of_cells(agents + bots)
    for name in ("agente1@varejo_sul.example", "varejo-router", "varejo-ofertas"):
        assert [name] in cells


def test_a_column_too_narrow_for_an_address_breaks_it_after_the_at_sign():
    narrow = f'<div style="width: 30mm">{present.table(["Agente"], [[ADDRESS]])}</div>'
    assert lines_of_cells(narrow) == [["maria.fernanda.souza@", "atendimento-varejo-sul.example"]]


ADDRESS = "maria.fernanda.souza@atendimento-varejo-sul.example"


def test_a_column_of_masked_phones_never_wraps():
    html = present.table(["Phone", "Template"], [["+55 ••• ••••-0001", "boas_vindas"],
                                                 ["+1 ••• ••••-2222", "lembrete"]])
    assert '<td class="nowrap">+55\xa0•••\xa0••••-0001</td>' in html
    assert '<td class="words">boas_vindas</td>' in html


def test_a_masked_phone_never_breaks_anywhere_a_reader_sees_it():
    # Only a column of nothing but phones was kept on one line, and only by a class the
    # e-mail's stylesheet does not have: beside a "–" or in a sentence a phone broke at its
    # spaces ("+55 ••• / ••••-0001").
    narrow = present.table(["Destinatário", "Modelo"],
                           [["+55 ••• ••••-0001", "retorno_atendimento"], ["–", "lembrete"]])
    assert lines_of_cells(f'<div style="width: 22mm">{narrow}</div>')[0] == [
        "+55\xa0•••\xa0••••-0001"]
    sentence = present.Section("Por número", ["O número +55 ••• ••••-1002 enviou mais."])
    assert "O número +55\xa0•••\xa0••••-1002 enviou mais." in sentence._repr_html_()
    # The number as data (extracts, CSV files) keeps its plain spaces.
    from reportlib.look.i18n import mask_phone
    assert mask_phone("+5511999991002") == "+55 ••• ••••-1002"


def test_notes_about_files_beside_the_report_are_marked():
    from reportlib.look.present import Footnotes

    page = Footnotes("Notas", ["A <b>"], ["Arquivo CSV ao lado"])._repr_html_()
    assert page == ('<section class="footnotes"><h2>Notas</h2><ol><li>A &lt;b&gt;</li>'
                    '<li class="beside-files">Arquivo CSV ao lado</li></ol></section>')


def test_a_figure_and_its_unit_are_never_split_across_lines():
    """An English reader pass saw "274" end a line and "min" start the next (the time-to-read
    prose on a phone). A figure and its unit are held together; a figure before a word is
    not ("Pedido 1 de 3", "10 dias")."""
    html = present.Section("Tempo até a leitura", [
        "Metade das leituras em até 27 min; 90% em até 274 min, 24 h ou 3 d. Pedido 1 de 3, "
        "em 10 dias."])._repr_html_()
    assert "27\u00a0min" in html and "274\u00a0min" in html
    assert "24\u00a0h" in html and "3\u00a0d." in html
    assert "1 de 3" in html and "10 dias" in html


def test_a_difference_in_points_and_a_campaigns_marker_are_never_split_across_lines():
    """A reading of the pt-BR campaigns PDF saw the variants' result end a line with "3,2" and
    start the next with "pp)", a campaign's name leave "#4" alone on the second line of its
    cell ("Pesquisa de satisfação" / "#4"), and on a phone a dash alone on a line ("Black
    Friday" / "–" / "aquecimento #26") or a variant's letter ("Clube VIP 10/2026 –" / "A").
    A figure stays with "pp", a number sign with the word before it, a dash with the word
    before it and with a short marker after it (A, B, 10h); a longer word after a dash is
    free to start the next line."""
    html = present.Section("Comparação de variantes", [
        "Detectável a partir de 3,2 pp (−1,2 pp). Pesquisa de satisfação #4, Clube VIP "
        "10/2026 – A, Oferta relâmpago 10/2026 – 10h e Black Friday – aquecimento #26."
    ])._repr_html_()
    assert "3,2\u00a0pp" in html and "−1,2\u00a0pp" in html
    assert "satisfação\u00a0#4" in html and "aquecimento\u00a0#26" in html
    assert "10/2026\u00a0–\u00a0A," in html and "10/2026\u00a0–\u00a010h" in html
    assert "Friday\u00a0– aquecimento" in html


def test_a_campaigns_name_in_a_table_cell_keeps_its_marker_and_dash():
    cells = present.table(["Campanha"], [["Pesquisa de satisfação #4"],
                                         ["Black Friday – aquecimento #26"],
                                         ["Clube VIP 10/2026 – B"]])
    assert "satisfação\u00a0#4" in cells and "aquecimento\u00a0#26" in cells
    assert "Friday\u00a0–" in cells and "–\u00a0B" in cells


def test_a_right_to_left_override_in_a_name_never_turns_the_text_round(tmp_path):
    """A tag named 'abc\\u202egpj.exe' read 'abcexe.jpg' in its table cell, and in a sentence
    the override turned the rest of it round too. Text in a right-to-left script reads as
    before: it needs no control character."""
    name = "abc\u202egpj.exe"
    page = present.Section("Por etiqueta", [f"{name} concentra o maior volume (324 tickets)."],
                           present.table(["Etiqueta", "Abertos"],
                                         [[name, 3], ["\u05e9\u05dc\u05d5\u05dd \u2067x\u2069", 2]],
                                         [False, True]))._repr_html_()
    path = tmp_path / "p.pdf"
    HTML(string=(f'<!DOCTYPE html>\n<html lang="pt-BR"><head><meta charset="utf-8">'
                 f"<style>{render._stylesheet()}</style></head><body>{page}</body></html>")
         ).write_pdf(path)
    text = " ".join(pypdf.PdfReader(path).pages[0].extract_text().split())
    assert "abcgpj.exe concentra o maior volume (324 tickets)." in text
    assert "abcgpj.exe 3" in text
    assert not any(c in page for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
