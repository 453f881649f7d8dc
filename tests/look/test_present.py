"""Report tables: escaped cells, and words that never break inside themselves."""

from __future__ import annotations

from reportlib.look import present


def test_short_labels_wrap_between_words_and_addresses_after_their_separators():
    page = present.table(
        ["Agente", "Categoria", "Id", "N"],
        [["agente5@varejo_sul.example", "Marketing", "wamid.HBgMVARSUL0000000123456789012", 3],
         ["<b>x</b> & y", "Utilidade", "x" * 40, 2]],
        [False, False, False, True])
    # Cells are escaped; user text never becomes markup.
    assert "&lt;b&gt;x&lt;/b&gt; &amp; y" in page and "<b>x" not in page
    # An address may break only after @ . _ (never inside a word)...
    assert "agente5@<wbr>varejo_<wbr>sul.<wbr>example" in page
    # ...so its column, like the one of short labels, is a words column (no break anywhere).
    cells = page.split("<tbody>")[1]
    assert cells.count('class="words"') == 4  # Agente and Categoria, two rows
    # A token with no separator at all (an id of 40 characters) may still break anywhere.
    assert '<td class="">' + "x" * 40 in cells
    assert '<td class="num">3</td>' in cells


def test_a_column_of_masked_phones_never_wraps():
    html = present.table(["Phone", "Template"], [["+55 ••• ••••-0001", "boas_vindas"],
                                                 ["+1 ••• ••••-2222", "lembrete"]])
    assert '<td class="nowrap">+55 ••• ••••-0001</td>' in html
    assert '<td class="words">boas_vindas</td>' in html
