"""A masked phone number is the same text wherever it is written: by Python in a report's
tables, by SQL in the extracts and the campaign CSVs (docs/metrics.md, privacy)."""

from __future__ import annotations

import duckdb
import pytest

from reportlib.look.i18n import mask_phone, mask_phone_macro


@pytest.mark.parametrize(("number", "masked"), [
    ("+5511999991234", "+55 ••• ••••-1234"),      # Brazil: a 2-digit calling code
    ("+12025550123", "+1 ••• ••••-0123"),         # NANP: 1 digit
    ("+351912345678", "+351 ••• ••••-5678"),      # Portugal: 3 digits
    ("55 (11) 99999-1234", "+55 ••• ••••-1234"),  # written with spaces and signs
    ("12345", "•••"),                             # too short to mask with sense
    ("", "•••"),
    ("+55 11 9999-١٢٣٤", "+55 ••• ••••-9999"),   # Arabic-Indic digits are not 0-9
])
def test_python_and_sql_mask_a_number_alike(number, masked):
    con = duckdb.connect()
    con.execute(mask_phone_macro())
    assert mask_phone(number) == masked
    assert con.execute("SELECT mask_phone(?)", [number]).fetchone()[0] == masked
