"""Every rendered report reads in its reader's language only: the demo is rendered (three tenants,
one pt-BR and one en among them) and each output — the HTML page's text, the PDF's text through
pdftotext and the e-mail's plain text — is scanned for

- common interface words of the other language (curated lists: words of one language that the
  other never uses), and "1" before a plural noun in prose,
- internal names: snake_case identifiers, the warehouse's table names (reportlib/sql stems),
  design documents (`*.md`), report and tenant slugs,
- words broken across two lines of the PDF (a proper prefix of one of the report's own label
  words, or of the tenant's own names, at a line's end, its rest on the next line, with or
  without a hyphen),

except the tenant's own data (campaign, template, agent, queue, tag, bot and event names), which
is the reader's and is shown as it is. The scanners are tested first on hand-made text.
"""

from __future__ import annotations

import html
import importlib
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from reportlib import deliver, demo, ingest, registry
from reportlib.domain import error_codes
from reportlib.look import i18n, present
from tests.conftest import REPO

PERIOD, AS_OF = "2026-11", "2026-11-20"
LOCALES = ("pt-BR", "en")

# Words of each language's interface that the other language never uses (lower case).
UI_WORDS = {
    "pt-BR": {"mensagens", "mensagem", "campanhas", "campanha", "período", "número", "números",
              "taxa", "lidas", "enviadas", "recebidas", "não", "para", "com", "dos", "das",
              "pelo", "pela", "até", "dias", "resposta", "leitura", "usuários", "atendimento",
              "fila", "etiqueta", "agentes", "custo", "falha", "falhas", "semana", "hora",
              "horas", "mês", "dia", "média", "mediana", "abertos", "encerrados", "sem", "uma",
              "nenhuma", "nenhum", "entre", "também", "quando", "então", "são", "foram", "foi",
              # a Brazilian contact centre's acronyms (tempo médio de espera / atendimento)
              "tme", "tma"},
    "en": {"the", "and", "of", "messages", "message", "campaigns", "campaign", "period",
           "number", "numbers", "rate", "read", "sent", "received", "with", "by", "per", "day",
           "days", "which", "from", "none", "reply", "replied", "users", "queue", "tag",
           "agents", "cost", "failed", "failure", "week", "hour", "hours", "month", "mean",
           "median", "opened", "closed", "without", "one", "between", "also", "when",
           "then", "are", "were", "was", "this", "that", "there", "code"},
}
SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b", re.I)
MARKDOWN = re.compile(r"\b[\w-]+\.md\b", re.I)
EMAIL = re.compile(r"[\w.+-]+@[\w.-]+")
# An address broken across two lines of a PDF, after its `@`, a `.` or a `_`: joined again.
ADDRESS_BREAK = re.compile(r"(@[\w.-]*[._]|[\w.+-]+@)\n")
WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
SQL_STEMS = {p.stem for p in (REPO / "reportlib" / "sql").glob("*.sql")}
SLUGS = {r.name for r in registry.REPORTS}

# Columns that hold codes the reports translate (never shown as they are); every other text
# column of a bundle holds the tenant's own names, shown as they are.
CODE_COLUMNS = {"category", "final_status", "desk_status", "status", "unit", "initiator", "era",
                "pricing_type", "market", "metric", "kind", "dimension", "level", "source",
                "confidence", "outcome", "free_reason", "tier", "key", "value", "grp",
                "region"}
OWN_NAMED = ("event_",)  # tables whose every column is the tenant's own naming


def data_words(bundle: Path) -> set[str]:
    """Lower-case words and whole values of the tenant's own names in a report's bundle."""
    con = duckdb.connect(str(bundle), read_only=True)
    try:
        columns = con.execute("SELECT table_name, column_name FROM information_schema.columns "
                              "WHERE data_type = 'VARCHAR'").fetchall()
        found: set[str] = set()
        for table, column in columns:
            if column in CODE_COLUMNS and not table.startswith(OWN_NAMED):
                continue
            values = con.execute(f'SELECT DISTINCT "{column}" FROM "{table}" '
                                 f'WHERE "{column}" IS NOT NULL').fetchall()
            for (value,) in values:
                text = str(value).lower()
                found.add(text)
                found.update(re.split(r"[\s,;:()\"“”/|-]+", text))
                found.update(w.lower() for w in WORD.findall(str(value)))
        return found
    finally:
        con.close()


def foreign_words(text: str, locale: str, own: set[str]) -> set[str]:
    """Interface words of the other language in `text`, other than the tenant's own names."""
    other = UI_WORDS["en" if locale == "pt-BR" else "pt-BR"]
    text = EMAIL.sub(" ", text)
    return {w for w in (m.lower() for m in WORD.findall(text)) if w in other and w not in own}


def internal_names(text: str, locale: str, own: set[str], tenants: set[str]) -> set[str]:
    """snake_case ids, table names, design documents and slugs in `text` (the tenant's own
    names and e-mail addresses aside)."""
    text = EMAIL.sub(" ", ADDRESS_BREAK.sub(r"\1", text))
    found = {m for m in SNAKE.findall(text) if m.lower() not in own}
    found |= {m for m in SNAKE.findall(text) if m in SQL_STEMS | SLUGS | tenants}
    found |= set(MARKDOWN.findall(text))
    # One-word slugs that are no word of the page's language ("consumption" in pt-BR).
    slugs = {s for s in SLUGS if "_" not in s} - {w.lower() for w in label_words(locale)}
    found |= {w for w in WORD.findall(text) if w.lower() in slugs}
    # The project's word for a customer account: a reader's account is "your account".
    found |= {w for w in WORD.findall(text) if w.lower() in {"tenant", "tenants"}}
    return found


def label_words(locale: str, shortest: int = 4) -> set[str]:
    """The words (`shortest` letters or more) of every label and sentence the reports write
    in `locale`: i18n's labels and each report module's own texts."""
    texts = [entry[locale] for entry in i18n.LABELS.values() if locale in entry]
    for report in registry.REPORTS:
        module = importlib.import_module(f"reportlib.{report.module}")
        for value in vars(module).values():
            if isinstance(value, dict):
                texts += [entry[locale] for entry in value.values()
                          if isinstance(entry, dict) and isinstance(entry.get(locale), str)]
    return {w for text in texts for w in WORD.findall(re.sub(r"\{\w+\}", " ", text))
            if len(w) >= shortest}


def broken_words(text: str, known: set[str], pieces: set[str]) -> list[str]:
    """Places where a `known` word is split across two lines: a line ending in a proper
    prefix of it, the next line starting with the rest, where the two are not both words of
    their own (`pieces`: "com" / "o" is two words, "mensa" / "gens" is one broken); or a
    hyphen put inside it."""
    lower = {w.lower() for w in known}
    whole = {w.lower() for w in pieces}
    lines = [line.strip() for line in text.splitlines()]
    out = []
    for first, second in zip(lines, lines[1:], strict=False):
        head = re.search(r"([^\W\d_]+)(-?)$", first)
        tail = re.match(r"([^\W\d_]+)", second)
        if not head or not tail:
            continue
        start, rest = head.group(1).lower(), tail.group(1).lower()
        if (start + rest) in lower and (head.group(2) or start not in whole
                                        or rest not in whole):
            out.append(f"{head.group(0)} / {tail.group(0)}")
    return out


ONE_PLURAL = re.compile(r"(?<![\d.,/:])\b1 ([^\W\d_]+(?:s|ões))\b")


def plural_after_one(text: str) -> set[str]:
    """A plural noun counted as one in prose ("1 números", "1 pairs")."""
    return {f"1 {m}" for m in ONE_PLURAL.findall(text) if m.lower() not in {"vs"}}


def prose_text(page: str) -> str:
    """The sentences of a page (its paragraphs and list items, not its table cells)."""
    return "\n".join(html_text(p) for p in re.findall(r"<(?:p|li)\b[^>]*>.*?</(?:p|li)>",
                                                       page, flags=re.S))


def pdf_text(pdf: Path) -> str:
    # -raw: the text in its drawing order, line ends kept as they are (without it pdftotext
    # joins a line ending in "-" to the next one, hiding a name broken there).
    return subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout


def html_text(page: str) -> str:
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r'\ssrc="data:[^"]*"', "", page)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


# --- the scanners on hand-made text ---------------------------------------------------------

def test_foreign_words_skip_the_tenants_own_names_and_addresses():
    text = "Mensagens lidas: the read rate of Limite pré-aprovado; agente1@read.example"
    # "the", "read", "rate" and "of" are English; "read" is also a word of the tenant's own
    # names here, and the address is skipped whole.
    assert foreign_words(text, "pt-BR", {"read"}) == {"the", "rate", "of"}
    assert foreign_words("Read rate of the campaign", "en", set()) == set()
    assert foreign_words("Taxa de leitura: 50%", "en", set()) == {"taxa", "leitura"}


def test_internal_names_are_found_and_own_names_are_not():
    text = ("Veja metrics.md; tabela campaign_summary, relatório desk_followup, "
            "modelo carrinho_abandonado, agente5@varejo_sul.example, consumption, agente6@\n"
            "varejo_\nsul.example, Chatbots")
    found = internal_names(text, "pt-BR", {"carrinho_abandonado"}, {"varejo_sul"})
    # metrics.md (a document: docs/metrics.md), campaign_summary (a table), desk_followup (a
    # slug), and the one-word slug "consumption" in a pt-BR page; the template name and the
    # addresses (one broken across lines) are data; "Chatbots" is a word of the pt-BR labels
    # as well.
    assert found == {"metrics.md", "campaign_summary", "desk_followup", "consumption"}
    assert internal_names("WhatsApp consumption", "en", set(), set()) == set()
    assert internal_names("Monday, the tenant's zone", "en", set(), set()) == {"tenant"}


def test_broken_words_are_found_and_whole_words_are_not():
    known = {"mensagens", "atendimento", "como"}
    pieces = known | {"com", "o", "para", "do"}
    text = "foram 12 mensa\ngens enviadas\naten-\ndimento humano\ncom\no cliente\npara\ndo"
    # "mensa" + "gens" and "aten-" + "dimento" are split known words; "com" / "o" makes the
    # known "como" but is two words of their own; "parado" is not a known word.
    assert broken_words(text, known, pieces) == ["mensa / gens", "aten- / dimento"]


def test_one_is_never_followed_by_a_plural():
    assert plural_after_one("1 números ativos; 1 número; 11 números; 2,1 pares; 1 vs 2") == {
        "1 números"}
    assert plural_after_one("Variant pairs compared: 1; 1 pairs; 1 pair") == {"1 pairs"}
    assert plural_after_one("1 ações pendentes") == {"1 ações"}


def test_unknown_error_codes_read_in_each_language():
    # 999999 is in no table of Meta's codes: it is kept, named in the reader's language.
    assert error_codes.meaning(999999, "pt-BR") == "Outro (código 999999)"
    assert error_codes.meaning(999999, "en") == "Other (code 999999)"
    assert foreign_words(error_codes.meaning(999999, "pt-BR"), "pt-BR", set()) == set()


def test_a_hyphenated_name_is_one_token_never_broken_inside_a_word():
    # "aurora-atendimento" (18 characters, a bot's name) fits a column: its column is a words
    # column, and the name is kept whole, not even cut at its hyphen.
    page = present.table(["Bot", "N"], [["aurora-atendimento", 1]], [False, True])
    assert '<td class="words"><span class="token">aurora-atendimento</span></td>' in page


def test_label_words_hold_the_reports_own_words():
    assert {"Mensagens", "Autenticação"} <= label_words("pt-BR")
    assert {"messages", "Authentication"} <= label_words("en")


# --- the rendered demo ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    site = tmp_path_factory.mktemp("language")
    demo.generate(site / "sources", site / "params", date(2026, 11, 20), tenants=3, months=1,
                  scale=0.3)
    ingest.ingest(site / "sources", site / "warehouse.duckdb", site / "params")
    result = subprocess.run(
        [sys.executable, "-m", "reportlib.cli", "run", "--all-tenants", "--period", PERIOD,
         "--as-of", AS_OF, "--jobs", "2"], cwd=site, capture_output=True, text=True,
        timeout=900, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr
    return site / "outputs"


def _outputs(outputs: Path):
    """(tenant folder, locale, report, html text, pdf text, e-mail text, prose) of every
    report."""
    import yaml

    for folder in sorted(outputs.glob(f"*/{PERIOD}")):
        tenant = folder.parent.name
        params = yaml.safe_load((outputs.parent / "params" / "tenants" / f"{tenant}.yaml")
                                .read_text("utf-8"))
        for report in registry.REPORTS:
            page = (folder / f"{report.name}.html").read_text("utf-8")
            yield (folder, params.get("locale", "pt-BR"), report.name, html_text(page),
                   pdf_text(folder / f"{report.name}.pdf"), deliver.plain_text(page),
                   prose_text(page))


@pytest.mark.slow
def test_every_output_reads_in_its_readers_language_without_internal_names(rendered):
    tenants = {p.name for p in rendered.iterdir() if p.is_dir()}
    seen_locales, problems = set(), []
    for folder, locale, report, page, pdf, mail, prose in _outputs(rendered):
        seen_locales.add(locale)
        if plural := plural_after_one(prose):
            problems.append(f"{folder.parent.name} {report}: one and a plural: {plural}")
        own = data_words(folder / "bundle.duckdb")
        for kind, text in (("html", page), ("pdf", pdf), ("e-mail", mail)):
            where = f"{folder.parent.name} {report} {kind}"
            if words := foreign_words(text, locale, own):
                problems.append(f"{where}: other language: {sorted(words)}")
            if names := internal_names(text, locale, own, tenants):
                problems.append(f"{where}: internal names: {sorted(names)}")
    assert seen_locales == set(LOCALES)  # both languages were scanned
    assert problems == []


@pytest.mark.slow
def test_no_label_word_is_broken_across_lines_of_a_pdf(rendered):
    known = {locale: label_words(locale) for locale in LOCALES}
    pieces = {locale: label_words(locale, 1) for locale in LOCALES}
    problems = []
    for folder, locale, report, _page, pdf, _mail, _prose in _outputs(rendered):
        # The tenant's own names (a bot's "conecta-atendimento") must not break inside a word
        # either.
        own = {w for w in data_words(folder / "bundle.duckdb") if WORD.fullmatch(w)}
        if broken := broken_words(pdf, known[locale] | {w for w in own if len(w) >= 4},
                                  pieces[locale] | own):
            problems.append(f"{folder.parent.name} {report}: {broken}")
    assert problems == []
