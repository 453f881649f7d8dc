"""E-mail of rendered reports: one message per recipient list, never twice, never lost.

The body is the report's own HTML in a slim template: its own small CSS inlined into the
elements (css-inline; a `<style>` block only for the @media rules), wide tables scrolling inside
the screen's width, charts as `Content-Disposition: inline` CID images in `multipart/related`
(never data URIs, which webmail strips; never listed as attachments) with their titles as alt
text. A plain-text alternative reads as text (a line per heading, paragraph and table row), and
the PDF is the one attachment. Every attempt is a row of `deliveries` (two when the server
accepts some addresses and refuses others: those sent, and those failed with its answer); a
message already sent for the same output and list is not sent again; a failed attempt is
retried on the next run, to the addresses that do not have it yet (with a backoff when the
scheduler runs it). A send cut off after the server may have taken the message (the command
killed, the connection lost after the final dot) is `unconfirmed`: never sent again by itself,
so that no one gets a report twice. SMTP settings come from the environment or
`params/smtp.yaml`; the password only from the environment.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import html
import io
import ipaddress
import json
import re
import smtplib
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

import css_inline

from reportlib import registry, warehouse
from reportlib.domain.calendar import parse_period
from reportlib.environment import smtp_variable
from reportlib.errors import ReportError, printable, stop_held
from reportlib.look.i18n import Formatter, report_short_title, report_title
from reportlib.params import ADDRESS, TenantParams, params_file, read_yaml
from reportlib.reports import trust
from reportlib.warehouse.history import current_user, figures_hash

BACKOFF_MINUTES = 5  # first retry after 5 min, then 10, 20, … (at most a day)
# REPORTLIB_SMTP_SECURITY / smtp.yaml `security`: every value, as the README documents it.
SECURITY = {"starttls": "plain connection upgraded with STARTTLS, port 587 by default",
            "ssl": "TLS from the first byte (SMTPS), port 465 by default",
            "none": "no TLS at all, for a plain relay on a trusted network, port 587 unless "
                    "REPORTLIB_SMTP_PORT says otherwise"}

@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str  # starttls | ssl | none
    user: str
    password: str
    sender: str


SMTP_FIELDS = ("host", "port", "security", "user", "from")  # params/smtp.yaml's settings
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def smtp_settings(params_dir: Path, given: Mapping[str, str]) -> SmtpSettings:
    """The command's SMTP settings (`given`: its REPORTLIB_SMTP_* variables, by lower-case
    name) over `params/smtp.yaml`; the password only from REPORTLIB_SMTP_PASSWORD, so that no
    file the project reads or writes holds a secret. Every setting is checked here, before
    anything is sent: a line break in the sender would otherwise reach a header (and stop the
    command with a traceback), a port out of range would fail every send alike."""
    path = Path(params_dir) / "smtp.yaml"
    file = _smtp_file(path)

    def get(name: str, default: str = "") -> str:
        return given.get(name, str(file.get(name, default)))

    def source(name: str) -> str:
        """Where a setting came from, for an error the operator can act on."""
        return smtp_variable(name) if name in given else f"{path}: field {name}"

    for name in ("host", "user", "from", "security", "port"):
        if CONTROL.search(get(name)):
            raise ReportError(f"{source(name)}: {get(name)!r} holds a line break or another "
                              "control character")
    security = get("security", "starttls").strip().lower()
    if security not in SECURITY:
        raise ReportError(f"{source('security')}: {security!r} is not one of "
                          + "; ".join(f"{k} ({v})" for k, v in SECURITY.items()))
    try:
        port = int(get("port", "465" if security == "ssl" else "587"))
    except ValueError:
        raise ReportError(f"{source('port')}: {get('port')!r} is not a port number") from None
    if not 0 < port < 65536:
        raise ReportError(f"{source('port')}: {port} is not a port number (1 to 65535)")
    host, sender = get("host"), get("from")
    if not host or not sender:
        raise ReportError("SMTP is not configured: set REPORTLIB_SMTP_HOST and "
                          "REPORTLIB_SMTP_FROM (or params/smtp.yaml)")
    if not ADDRESS.match(parseaddr(sender)[1]):
        raise ReportError(f"{source('from')}: {sender!r} is not an e-mail address "
                          "(reports@example.com, or Reports <reports@example.com>)")
    user, password = get("user"), given.get("password", "")
    if user and not password:  # an EnvironmentFile without its line: it logged in with ""
        raise ReportError(f"{source('user')} is {user!r} but {smtp_variable('password')} is "
                          "not set: set it in the environment (the systemd unit's "
                          "EnvironmentFile, the cron line's), or leave the user unset for a "
                          "server that takes mail without logging in")
    if user and security == "none" and not _loopback(host):
        raise ReportError(f"{source('security')}: none with {source('user')} set would send "
                          f"the password to {host} in clear: use starttls or ssl, or leave "
                          "the user and password unset for a relay that needs no login")
    return SmtpSettings(host, port, security, user, password, sender)


def _loopback(host: str) -> bool:
    """The server is on this machine: a login without TLS crosses no network."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host.lower() == "localhost"


def _smtp_file(path: Path) -> dict:
    """`params/smtp.yaml` as a mapping of known settings ({} when absent): a file that does not
    parse, is not a mapping or names another setting is one line naming it."""
    if not path.exists():
        return {}
    try:
        raw = read_yaml(path) or {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError(f"{path}: cannot be read ({getattr(exc, 'strerror', None) or exc})"
                          ) from None
    if not isinstance(raw, dict):
        raise ReportError(f"{path}: expected a mapping of settings ({', '.join(SMTP_FIELDS)})")
    if "password" in raw:
        raise ReportError(f"{path}: field password: keep the password in "
                          "REPORTLIB_SMTP_PASSWORD, not in a file")
    for name in raw:
        if name not in SMTP_FIELDS:
            close = difflib.get_close_matches(str(name), SMTP_FIELDS, n=1)
            raise ReportError(f"{path}: field {name}: not a setting" + (
                f"; did you mean {close[0]}?" if close else f" (one of {', '.join(SMTP_FIELDS)})"))
    return raw


# ---------------------------------------------------------------------------------------------
# The message


class _Text(HTMLParser):
    """Plain text of a report page that reads as text: the title and each heading underlined,
    every paragraph, list item and table row on its own line (cells separated by ` · `, an
    empty cell as `–`), a card as `label: value`, a chart as its title in brackets. Words of
    adjacent elements never run together."""

    SKIP = {"head", "style", "script", "title", "template"}
    BLOCKS = {"div", "section", "header", "footer", "article", "main", "p", "h1", "h2", "h3",
              "h4", "ul", "ol", "li", "table", "caption", "figure", "figcaption", "blockquote"}
    UNDERLINE = {"h1": "=", "h2": "-", "h3": "-"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.inline: list[str] = []  # the words of the line being read
        self.skip = 0
        self.header = 0  # inside the report's header: its lines without blank lines between
        self.lists: list[list] = []  # [tag, items so far] of each open <ol>/<ul>
        self.row: list[str] | None = None
        self.cell: list[str] | None = None
        self.divs: list[str] = []  # the class of each open <div>
        self.card: dict[str, list[str]] | None = None
        self.card_part = ""

    # -- where text goes, and lines
    def _target(self) -> list[str]:
        if self.card is not None and self.card_part:
            return self.card[self.card_part]
        if self.cell is not None:
            return self.cell
        return self.inline

    def _flush(self, prefix: str = "") -> str:
        line = " ".join("".join(self.inline).split())
        self.inline = []
        if line:
            self.lines.append(prefix + line)
        return line

    def _blank(self) -> None:
        if self.lines and self.lines[-1]:
            self.lines.append("")

    # -- the parser's events
    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skip += 1
        if self.skip:
            return
        classes = (dict(attrs).get("class") or "").split()
        if tag in self.BLOCKS or tag in ("tr", "br", "img"):
            self._flush()
        if tag in self.UNDERLINE or tag == "table":
            self._blank()
        if tag == "header":
            self.header += 1
        elif tag in ("ol", "ul"):
            self.lists.append([tag, 0])
        elif tag == "li" and self.lists:
            self.lists[-1][1] += 1
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th"):
            self.cell = []
        elif tag == "img":
            alt = " ".join((dict(attrs).get("alt") or "").split())
            if alt:
                self.lines.append(f"[{alt}]")
        elif tag == "div":
            self.divs.append(" ".join(classes))
            if "card" in classes:
                self.card = {"card-value": [], "card-label": []}
            elif self.card is not None and classes and classes[0] in self.card:
                self.card_part = classes[0]

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.skip = max(0, self.skip - 1)
            return
        if self.skip:
            return
        if tag in self.UNDERLINE:
            line = self._flush()
            if line:
                self.lines.append(self.UNDERLINE[tag] * len(line))
        elif tag == "li":
            kind, number = self.lists[-1] if self.lists else ("ul", 0)
            self._flush(f"{number}. " if kind == "ol" else "- ")
        elif tag in ("td", "th") and self.cell is not None:
            if self.row is not None:
                self.row.append(" ".join("".join(self.cell).split()) or "–")
            self.cell = None
        elif tag == "tr" and self.row is not None:
            if any(cell != "–" for cell in self.row):
                self.lines.append(" · ".join(self.row))
            self.row = None
        elif tag == "div" and self.divs:
            classes = self.divs.pop().split()
            if "card" in classes and self.card is not None:
                value, label = (" ".join("".join(self.card[k]).split())
                                for k in ("card-value", "card-label"))
                self.lines.append(f"{label}: {value}" if label and value else label or value)
                self.card = None
            self.card_part = ""
        elif tag in self.BLOCKS:
            self._flush()
        if tag in ("ol", "ul") and self.lists:
            self.lists.pop()
        if tag == "header":
            self.header = max(0, self.header - 1)
        if tag in ("table", "section", "header", "ol", "ul") or (tag == "p" and not self.header):
            self._blank()

    def handle_data(self, data):
        if not self.skip:
            self._target().append(re.sub(r"\s+", " ", data))  # an edge's space stays a space

    def text(self) -> str:
        self._flush()
        while self.lines and not self.lines[-1]:
            self.lines.pop()
        return "\n".join(self.lines) + "\n"


def plain_text(page: str) -> str:
    parser = _Text()
    parser.feed(page)
    return parser.text()


def _with_alt(tag: str, fallback: str) -> str:
    """An `<img>` tag with a non-empty alt text: its own, else `fallback` (escaped)."""
    alt = re.search(r'\salt\s*=\s*"([^"]*)"', tag)
    if alt and alt.group(1).strip():
        return tag
    tag = re.sub(r'\salt\s*=\s*"[^"]*"', "", tag)
    return tag.replace("<img", f'<img alt="{html.escape(fallback, quote=True)}"', 1)


PICTURE = re.compile(r'<picture><source media="[^"]*" srcset="(data:image/png;base64,'
                     r'[A-Za-z0-9+/=]+)">(<img\b[^>]*>)</picture>')


def _two_images(match: re.Match) -> str:
    narrow, img = match.group(1), match.group(2)
    wide = img.replace('class="chart"', 'class="chart chart-wide"', 1)
    phone = re.sub(r'src="[^"]*"', f'src="{narrow}"', img, count=1).replace(
        'class="chart"', 'class="chart chart-narrow"', 1)
    return wide + phone


def slim_html(page: str, title: str) -> tuple[str, list[tuple[str, bytes]]]:
    """The report's body in the e-mail template, ready for clients that strip `<style>`: the
    stylesheet inlined into `style=` attributes by css-inline (only its @media rules stay in a
    `<style>` block), every data table inside a horizontal scroller so that a phone's screen
    never gets wider than itself, and charts as `cid:` references (alt text: the chart's title,
    else its section's heading, else the report's title). A chart with a phone rendition (a
    `<picture>`, `present.figure_to_img`) is two images, the phone one hidden except on a
    narrow screen (@media): e-mail clients know no `<picture>`."""
    body = page.split("<body>", 1)[-1].rsplit("</body>", 1)[0]
    body = PICTURE.sub(_two_images, body)
    body = re.sub(r'<div class="jp-[^"]*"[^>]*>|<div class="(?:cell|input|output)[^"]*"[^>]*>',
                  "<div>", body)
    images: list[tuple[str, bytes]] = []

    def to_cid(match: re.Match) -> str:
        tag = match.group(0)
        data = re.search(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', tag)
        if data is None:
            return tag
        cid = make_msgid(idstring=f"chart{len(images) + 1}", domain="reportlib")[1:-1]
        images.append((cid, base64.b64decode(data.group(1))))
        headings = re.findall(r"<h[1-3][^>]*>(.*?)</h[1-3]>", body[:match.start()], flags=re.S)
        heading = html.unescape(re.sub(r"<[^>]+>", "", headings[-1])) if headings else title
        return _with_alt(tag.replace(data.group(0), f'src="cid:{cid}"'), heading)

    body = re.sub(r"<img\b[^>]*>", to_cid, body)
    # A relative link (a campaign's CSV beside the report) leads nowhere from a mailbox: its
    # text stays, the link goes.
    body = re.sub(r'<a href="(?![A-Za-z][A-Za-z0-9+.-]*:|#)[^"]*">(.*?)</a>', r"\1", body,
                  flags=re.S)
    body = re.sub(r'(<table\b[^>]*\bclass="[^"]*\bdata\b[^"]*"[^>]*>.*?</table>)',
                  r'<div class="table-scroll">\1</div>', body, flags=re.S)
    css = (resources.files("reportlib") / "look" / "templates" / "email.css").read_text("utf-8")
    slim = (f'<!DOCTYPE html><html><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)}</title><style>{css}</style></head>"
            f'<body><div class="mail">{body}</div></body></html>')
    # Whitespace between tags is one space, not none: "11/2026</span> <span>–" keeps the
    # space the reader sees between two words that are elements.
    slim = re.sub(r">\s+<", "> <", slim)
    inliner = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)
    return inliner.inline(slim), images


# The last word of a subject when it is known whether the figures are final, the same word as
# the report's badge: partial while the period is open, provisional once it is over while its
# figures may still change, consolidated when they are final. A partial or provisional send and
# the consolidated one differ.
SUBJECT_STATE = {"pt-BR": {"partial": "parcial", "provisional": "provisório",
                           "final": "consolidado"},
                 "en": {"partial": "partial", "provisional": "provisional",
                        "final": "consolidated"}}


# What a subject may take: beyond it mail clients cut it, and the words cut are the last ones,
# which say whether the figures are final and whether something needs a look.
SUBJECT_LIMIT = 100
# The fewest characters of the company's name kept when a subject has to be shortened.
SUBJECT_NAME_MIN = 12


def subject(tenant: TenantParams, report: str, period_label: str,
            partial: bool | None = None, flags: list[dict] | None = None,
            provisional: bool = False) -> str:
    """`<short title> · <tenant> · <period>`, and ` · parcial` / ` · provisório` /
    ` · consolidado` (en: partial / provisional / consolidated) when `partial` is given
    (`provisional`: the period is over, its figures may still change); then its anomaly
    flags when it has any. Within `SUBJECT_LIMIT` characters: what does not fit is said
    shorter, in this order: how many flags instead of the one flag named, a range of days
    in figures ("20/12/2026 a 19/01/2027"), then the company's name shortened ("…"), then
    the title (a site report's own)."""
    period = parse_period(period_label)
    fmt = Formatter(tenant.locale)
    if period.is_month:
        when = short_when = fmt.month(period.start)
    else:
        when = fmt.date_range(period.start, period.end)
        short_when = fmt.date_range(period.start, period.end, "short")
    state = []
    if partial is not None:
        words = SUBJECT_STATE.get(tenant.locale, SUBJECT_STATE["en"])
        state.append(words["partial" if partial else "provisional" if provisional else "final"])
    named = trust.subject_words(flags or [], tenant.locale)
    counted = trust.subject_words(flags or [], tenant.locale, count_only=True)
    name = " ".join(tenant.display_name.split())  # no CR/LF can reach a header
    title = report_short_title(report, tenant.locale)

    def line(name: str, when: str, flag_words: str, title: str = title) -> str:
        parts = [title, name, when, *state, flag_words]
        return " ".join(" · ".join(p for p in parts if p).split())

    def shorter(text: str, over: int) -> str:
        keep = max(SUBJECT_NAME_MIN, len(text) - over - 1)
        return text[:keep].rstrip() + "…" if keep < len(text) else text

    for text in (line(name, when, named), line(name, when, counted),
                 line(name, short_when, counted)):
        if len(text) <= SUBJECT_LIMIT:
            return text
    name = shorter(name, len(text) - SUBJECT_LIMIT)
    text = line(name, short_when, counted)
    # Last, a title too long for the limit (a site's own report, params/reports.yaml).
    return line(name, short_when, counted, shorter(title, len(text) - SUBJECT_LIMIT)) \
        if len(text) > SUBJECT_LIMIT else text


# Characters a file name cannot hold on some system the recipient may save the PDF to.
UNSAFE_IN_FILE_NAMES = re.compile(r'[<>:"/\\|?*\x00-\x1f]')


def attachment_name(tenant: TenantParams, report: str, period_label: str) -> str:
    """The PDF's file name as its reader sees it: the report's title, the company and the
    period in the reader's language ("Consumo de WhatsApp - Varejo Sul - outubro de
    2026.pdf"), never the tenant's slug or the report's internal name; characters a file
    name cannot hold are written as it can (`_file_name_part`)."""
    period = parse_period(period_label)
    fmt = Formatter(tenant.locale)
    when = fmt.month(period.start) if period.is_month else \
        fmt.date_range(period.start, period.end)
    parts = [report_title(report, tenant.locale), tenant.display_name, when]
    return " - ".join(_file_name_part(p) for p in parts) + ".pdf"


def _file_name_part(text: str) -> str:
    """`text` as a file name can hold it and its reader still reads it: a colon before a
    title's second part becomes a dash ("Chatbots – usuários e mensagens": it read "Chatbots
    usuários e mensagens"), a slash a hyphen ("A-B"), double quotes single ones; any other
    character a file name cannot hold a space."""
    text = re.sub(r"\s*:\s+", " – ", text.strip())
    text = re.sub(r"\s*[/\\]\s*", "-", text).replace('"', "'")
    return " ".join(UNSAFE_IN_FILE_NAMES.sub(" ", text).split())


def _manifest_state(out_dir: Path, report: str) -> tuple[bool | None, bool]:
    """(partial, provisional) of the report's figures, from its entry in
    out_dir/manifest.json: `figures.partial` (the period is open, or for consumption not yet
    consolidated) and `figures.provisional` (its own rule: figures may still change); partial
    None when neither is known."""
    try:
        manifest = json.loads((Path(out_dir) / "manifest.json").read_text("utf-8"))
        figures = manifest["reports"][report]["figures"]
    except (OSError, ValueError, KeyError, TypeError):
        return None, False
    if not isinstance(figures, dict):
        return None, False
    partial, provisional = figures.get("partial"), figures.get("provisional")
    provisional = provisional if isinstance(provisional, bool) else False
    if not isinstance(partial, bool):
        return (None, False) if not isinstance(figures.get("provisional"), bool) else \
            (False, provisional)
    return partial, provisional


def _manifest_flags(out_dir: Path, report: str) -> list[dict]:
    """The report's anomaly flags in out_dir/manifest.json (none when unknown)."""
    try:
        manifest = json.loads((Path(out_dir) / "manifest.json").read_text("utf-8"))
        flags = manifest["reports"][report].get("flags") or []
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return []
    return [f for f in flags if isinstance(f, dict) and f.get("metric") and f.get("day")] \
        if isinstance(flags, list) else []


# A link to a file beside the report (a campaign's CSV): it leads nowhere from a mailbox.
RELATIVE_LINK = r'<a href="(?![A-Za-z][A-Za-z0-9+.-]*:|#)[^"]*">[^<]*</a>'


def without_file_columns(page: str) -> str:
    """The page without the table columns whose every cell is a link to a file beside the
    report (or empty), and without the notes about those files: in the e-mail such a column
    is a row of "CSV" words that open nothing. Tables with merged cells are left as they are."""
    cell = re.compile(r"<t([hd])\b[^>]*>.*?</t\1>", flags=re.S)
    file_cell = re.compile(rf"<td\b[^>]*>\s*(?:{RELATIVE_LINK})?\s*</td>", flags=re.S)

    def table(match: re.Match) -> str:
        text = match.group(0)
        if "colspan" in text or "rowspan" in text:
            return text
        rows = [[c.group(0) for c in cell.finditer(row)]
                for row in re.findall(r"<tr\b[^>]*>.*?</tr>", text, flags=re.S)]
        body = [row for row in rows if any(c.startswith("<td") for c in row)]
        if not body or any(len(row) != len(rows[0]) for row in rows):
            return text
        drop = {i for i in range(len(rows[0]))
                if all(file_cell.fullmatch(row[i]) for row in body)
                and any(re.search(RELATIVE_LINK, row[i]) for row in body)}
        if not drop:
            return text

        def row(found: re.Match) -> str:
            cells = [c.group(0) for c in cell.finditer(found.group(0))]
            opening = re.match(r"<tr\b[^>]*>", found.group(0)).group(0)
            return opening + "".join(c for i, c in enumerate(cells) if i not in drop) + "</tr>"

        return re.sub(r"<tr\b[^>]*>.*?</tr>", row, text, flags=re.S)

    page = re.sub(r"<table\b[^>]*>.*?</table>", table, page, flags=re.S)
    # The notes about those files (present.Footnotes.beside_files) go with them.
    return re.sub(r'<li class="beside-files">.*?</li>', "", page, flags=re.S)


def build_message(tenant: TenantParams, period: str, report: str, out_dir: Path,
                  recipients: list[str], sender: str) -> EmailMessage:
    page = without_file_columns((out_dir / f"{report}.html").read_text("utf-8"))
    partial, provisional = _manifest_state(out_dir, report)
    title = subject(tenant, report, period, partial, _manifest_flags(out_dir, report),
                    provisional)
    body, images = slim_html(page, title)
    message = EmailMessage()
    message["Subject"] = title
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="reportlib")
    message.set_content(plain_text(page))
    message.add_alternative(body, subtype="html")
    html_part = message.get_payload()[1]
    for cid, data in images:  # shown in the body where `cid:` says, never listed beside the PDF
        html_part.add_related(data, "image", "png", cid=f"<{cid}>", disposition="inline")
    message.add_attachment((out_dir / f"{report}.pdf").read_bytes(), maintype="application",
                           subtype="pdf", filename=attachment_name(tenant, report, period))
    return message


# ---------------------------------------------------------------------------------------------
# Sending, once


@dataclass
class Delivery:
    tenant: str
    period: str
    report: str
    list_name: str
    status: str  # sent | failed | unconfirmed (`UNCONFIRMED`) | skipped | no_recipients
    detail: str = ""
    retry_at: datetime | None = None  # a failed send held by its backoff until then
    unconfirmed: int = 0  # recipients not known to have this output (`UNCONFIRMED`)

    def line(self) -> str:
        # the detail may quote an SMTP server's reply: escaped, it stays one line
        if self.status == "no_recipients":  # the detail says it all, and what to do
            return f"{self.tenant} {self.period} {self.report}: {printable(self.detail)}"
        return f"{self.tenant} {self.period} {self.report} [{self.list_name}]: {self.status}" + (
            f": {printable(self.detail)}" if self.detail else "")


def no_recipients(tenant: TenantParams, period: str, report: str) -> Delivery:
    """Nothing to send is said, not silent: the operator sees which file to complete."""
    return Delivery(tenant.tenant_id, period, report, "-", "no_recipients",
                    "not sent: no recipients for this report (add them under recipients: in "
                    f"{params_file(tenant)})")


def recipient_lists(tenant: TenantParams, report: str) -> dict[str, list[str]]:
    """The tenant's lists for a report: the one named after it, and `all`; for a site's own
    report, also the tenant's list in its entry of params/reports.yaml."""
    spec = registry.find(report)
    site = dict(spec.recipients).get(tenant.tenant_id) if spec and spec.site else None
    lists = {}
    for name in (report, "all", "reports.yaml"):
        addresses = (list(site or ()) if name == "reports.yaml"
                     else tenant.recipients.get(name) or [])
        if isinstance(addresses, str):
            addresses = [addresses]
        bad = [a for a in addresses if not isinstance(a, str) or not ADDRESS.match(a)]
        if bad:
            where = (f"{params_file(tenant)}: recipients.{name}" if name != "reports.yaml"
                     else f"reports.yaml: reports.{report}.recipients.{tenant.tenant_id}")
            raise ReportError(f"{where}: {bad[0]!r} is not an e-mail address")
        if addresses:
            lists[name] = list(addresses)
    return lists


def output_hash(out_dir: Path, report: str) -> str:
    digest = hashlib.sha256()
    for suffix in (".html", ".pdf"):
        digest.update((out_dir / f"{report}{suffix}").read_bytes())
    return digest.hexdigest()


class _Client:
    """smtplib's client, knowing whether the whole message had gone when a connection broke:
    the server discards a message cut short, but one whose final dot it read it may have
    queued, and whether it did is unknown."""

    whole_message_sent = False

    def send(self, s):  # smtplib.SMTP.data sends the message and its final dot in one call
        super().send(s)
        if isinstance(s, bytes) and s.endswith(b"\r\n.\r\n"):
            self.whole_message_sent = True


class _Plain(_Client, smtplib.SMTP):
    pass


class _Tls(_Client, smtplib.SMTP_SSL):
    pass


def _connect(settings: SmtpSettings) -> _Plain | _Tls:
    """A connection to the server, with TLS and login as the settings say (closed on error)."""
    if settings.security == "ssl":
        smtp = _Tls(settings.host, settings.port, timeout=30,
                    context=ssl.create_default_context())
    else:
        smtp = _Plain(settings.host, settings.port, timeout=30)
    try:
        if settings.security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if settings.user:
            smtp.login(settings.user, settings.password)
    except BaseException:
        smtp.close()
        raise
    return smtp


def _flat(smtp: smtplib.SMTP, message: EmailMessage, recipients: list[str]
          ) -> tuple[bytes, list[str]]:
    """The message's bytes and the MAIL options, as smtplib.send_message makes them (SMTPUTF8
    for an address beyond ASCII, when the server offers it)."""
    smtp.ehlo_or_helo_if_needed()
    options = []
    policy = message.policy
    if not "".join([parseaddr(message["From"])[1], *recipients]).isascii():
        if not smtp.has_extn("smtputf8"):
            raise smtplib.SMTPNotSupportedError(
                "an address is not ASCII and the server does not offer SMTPUTF8")
        policy, options = policy.clone(utf8=True), ["SMTPUTF8", "BODY=8BITMIME"]
    with io.BytesIO() as flat:
        BytesGenerator(flat, policy=policy).flatten(message, linesep="\r\n")
        data = flat.getvalue()
    if smtp.does_esmtp and smtp.has_extn("size"):
        options.append(f"size={len(data)}")
    return data, options


def _envelope(smtp: smtplib.SMTP, sender: str, recipients: list[str],
              options: list[str]) -> dict[str, tuple[int, bytes]]:
    """MAIL FROM and a RCPT TO per address; the addresses the server refused, with its answer
    (every one refused raises, as smtplib.sendmail does)."""
    code, answer = smtp.mail(parseaddr(sender)[1], options)
    if code != 250:
        raise smtplib.SMTPSenderRefused(code, answer, sender)
    refused = {}
    for address in recipients:
        code, answer = smtp.rcpt(address)
        if code not in (250, 251):
            refused[address] = (code, answer)
        if code == 421:  # the server is closing the connection
            raise smtplib.SMTPRecipientsRefused(refused)
    if len(refused) == len(recipients):
        raise smtplib.SMTPRecipientsRefused(refused)
    return refused


def _quit(smtp: smtplib.SMTP) -> None:
    """Say goodbye; what the server answers, or not, changes nothing sent."""
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


def send_text(settings: SmtpSettings, recipients: list[str], subject_line: str,
              body: str, on_sent: Callable[[str], None] | None = None) -> str:
    """A plain-text message (the operator's notices) through the same SMTP settings as the
    reports; returns its Message-ID. `on_sent(message_id)` records it as soon as the server
    has it, before a stop signal takes effect (else a stopped command notified twice)."""
    message = EmailMessage()
    message["Subject"] = " ".join(subject_line.split())  # no CR/LF can reach a header
    message["From"] = settings.sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="reportlib")
    message.set_content(body)
    smtp = _connect(settings)
    try:
        data, options = _flat(smtp, message, recipients)
        _envelope(smtp, settings.sender, recipients, options)
        with stop_held():
            code, answer = smtp.data(data)
            if code != 250:
                raise smtplib.SMTPDataError(code, answer)
            if on_sent is not None:
                on_sent(message["Message-ID"])
    finally:
        _quit(smtp)
    return message["Message-ID"]


def send_reports(tenant: TenantParams, period: str, reports: list[str], outputs: Path,
                 warehouse_path: Path, settings: SmtpSettings, now: datetime,
                 respect_backoff: bool = False,
                 resend_unconfirmed: bool = False,
                 on_result: Callable[[Delivery], None] | None = None) -> list[Delivery]:
    """E-mail each report of a tenant-period to each of its lists, at most once per output.
    `resend_unconfirmed`: send again to the addresses whose send was cut off (`UNCONFIRMED`).
    `on_result` is told each list's outcome as soon as it is known: a command stopped part
    way has said what it sent before the stop."""
    out_dir = Path(outputs) / tenant.tenant_id / period
    manifest_path = out_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text("utf-8")) if manifest_path.is_file() else {}
    # A bad address is a usage mistake: found before anything is sent or recorded.
    for report in reports:
        recipient_lists(tenant, report)
    results: list[Delivery] = []
    # Why the server could not be reached (or logged in to) for a list: the same for every
    # other list of this call, which fails at once with it, where each waited its own 30 s
    # for a host that does not answer.
    unreachable: list[str] = []

    def done(result: Delivery) -> None:
        results.append(result)
        if on_result is not None:
            on_result(result)

    con = warehouse.create(warehouse_path)
    try:
        for report in reports:
            entry = manifest.get("reports", {}).get(report)
            if entry is not None and entry.get("status") == "no_data":
                done(Delivery(tenant.tenant_id, period, report, "-", "skipped",
                                        "not e-mailed: no data in the period"))
                continue
            if entry is None or entry.get("status") != "ok":
                why = "no report rendered" if entry is None else "its last run failed"
                done(Delivery(tenant.tenant_id, period, report, "-", "failed",
                                        f"not e-mailed: {why}"))
                continue
            lists = recipient_lists(tenant, report)
            if not lists:
                done(no_recipients(tenant, period, report))
                continue
            digest = output_hash(out_dir, report)
            figures = figures_hash(entry.get("figures") or {})
            for list_name, addresses in lists.items():
                done(_deliver_once(con, tenant, period, report, list_name,
                                             addresses, digest, out_dir, settings, now,
                                             respect_backoff, figures, resend_unconfirmed,
                                             unreachable))
        # A send a stopped command left `sending` for an output since rendered again (or a
        # list since renamed) is met by no send of this run: resolved here, not left
        # `sending` for ever.
        con.execute("UPDATE deliveries SET status = 'unconfirmed', error = ? WHERE "
                    "tenant_id = ? AND period = ? AND list_contains(?, report) AND "
                    "status = 'sending'", [UNCONFIRMED, tenant.tenant_id, period, reports])
    finally:
        con.close()
    return results


# A send cut off after the server may have taken the message: by a command stopped outright
# (SIGKILL, a crash, the machine off) after its `sending` row, or by a connection lost once
# the whole message had gone. Whether it was delivered is unknown: it is not sent again
# unless the operator asks (`reportlib email --resend-unconfirmed`), so that no one gets a
# report twice.
UNCONFIRMED = ("the send was cut off after the server may have taken the message (the "
               "command stopped before the server's answer was recorded)")
LOST = "the connection to SMTP server {server} was lost after the whole message had gone"


def _cut_off(con, key: list[str]) -> int:
    """Mark the sends of `key` a stopped command left `sending` as `unconfirmed` (no other
    command sends meanwhile: the warehouse has one writer); how many addresses they name."""
    rows = con.execute("SELECT recipients FROM deliveries WHERE tenant_id = ? AND period = ? "
                       "AND report = ? AND output_hash = ? AND list_name = ? AND "
                       "status = 'sending'", key).fetchall()
    if rows:
        con.execute("UPDATE deliveries SET status = 'unconfirmed', error = ? WHERE "
                    "tenant_id = ? AND period = ? AND report = ? AND output_hash = ? AND "
                    "list_name = ? AND status = 'sending'", [UNCONFIRMED, *key])
    return sum(len((r or "").split(", ")) for (r,) in rows)


def _deliver_once(con, tenant, period, report, list_name, addresses, digest, out_dir,
                  settings, now, respect_backoff, figures_sha256=None,
                  resend_unconfirmed=False, unreachable: list[str] | None = None) -> Delivery:
    """Send one output to one list, once per address: after a send the server accepted only
    in part, the next attempt goes to the addresses that do not have it alone (those refused,
    and one added to the list since; the message's To: still names the whole list). The
    addresses the server took are recorded `sending` before the message goes, and a stop
    signal waits until the server's answer is recorded: cut off there, the command left
    nothing recorded and the next run sent the message again."""
    key = [tenant.tenant_id, period, report, digest, list_name]
    cut_off = _cut_off(con, key)
    history = con.execute(
        "SELECT status, recipients, attempt, next_attempt_at FROM deliveries WHERE "
        "tenant_id = ? AND period = ? AND report = ? AND output_hash = ? AND list_name = ?",
        key).fetchall()

    def named(*statuses: str) -> set[str]:
        return {a for status, recipients, *_ in history if status in statuses
                for a in (recipients or "").split(", ")}

    unconfirmed = named("unconfirmed") - named("sent")
    sent = named("sent") if resend_unconfirmed else named("sent", "unconfirmed")
    # Every address of the list that does not have this output yet: those refused before,
    # and one added to the list since.
    remaining = [a for a in addresses if a not in sent]
    # A cut-off send found now is said once as such, whatever else this attempt does (exit 1;
    # a scheduled slot is notified).
    found = _unconfirmed_note(cut_off, UNCONFIRMED) if cut_off else ""
    if not remaining:
        if cut_off:
            return Delivery(*key[:3], list_name, "unconfirmed", found, unconfirmed=cut_off)
        return Delivery(*key[:3], list_name, "skipped", "already sent for this output" + (
            f" ({len(unconfirmed)} recipient(s) unconfirmed)" if unconfirmed else ""),
            unconfirmed=len(unconfirmed))
    last = max((attempt for *_, attempt, _ in history), default=0)
    held = max((at for *_, attempt, at in history if attempt == last and at is not None),
               default=None)
    if respect_backoff and held is not None and held > now:
        return Delivery(*key[:3], list_name, "skipped", f"next attempt after {held.isoformat()}",
                        held)
    attempt = last + 1
    retry_at = now + timedelta(minutes=min(24 * 60, BACKOFF_MINUTES * 2 ** (attempt - 1)))
    message = build_message(tenant, period, report, out_dir, addresses, settings.sender)

    def record(status: str, recipients: list[str], error: str | None) -> None:
        con.execute("INSERT INTO deliveries (tenant_id, period, report, output_hash, "
                    "list_name, recipients, message_id, status, error, attempt, attempted_at, "
                    "next_attempt_at, sent_by, figures_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
                    "?, ?, ?, ?, ?, ?)",
                    [*key, ", ".join(recipients), message["Message-ID"], status, error,
                     attempt, now, retry_at if status == "failed" else None, current_user(),
                     figures_sha256])

    sent_now: list[str] = []
    failed_now: list[str] = []
    reasons: list[str] = []
    outcome = None
    unreachable = [] if unreachable is None else unreachable
    if unreachable:  # another list of this call found the server so: not tried again
        smtp, failed_now, reasons = None, remaining, [unreachable[0]]
    else:
        try:
            smtp = _connect(settings)
        except (OSError, smtplib.SMTPException) as exc:
            smtp, failed_now, reasons = None, remaining, [smtp_failure(settings, exc)]
            unreachable.append(reasons[0])
    if smtp is not None:
        try:
            data, options = _flat(smtp, message, remaining)
            refused = _envelope(smtp, settings.sender, remaining, options)
        except (OSError, smtplib.SMTPException) as exc:
            failed_now, reasons = remaining, [smtp_failure(settings, exc)]
        else:
            accepted = [a for a in remaining if a not in refused]
            if refused:
                failed_now, reasons = list(refused), [_refusal(refused)]
                record("failed", failed_now, reasons[0])
            with stop_held():  # the server may take it from here on: its answer recorded first
                record("sending", accepted, None)
                outcome, why = _data(smtp, data, settings)
                con.execute("UPDATE deliveries SET status = ?, error = ?, next_attempt_at = ? "
                            "WHERE message_id = ? AND status = 'sending'",
                            [outcome, why, retry_at if outcome == "failed" else None,
                             message["Message-ID"]])
            if outcome == "sent":
                sent_now = accepted
            else:
                reasons.append(why)
                failed_now += accepted if outcome == "failed" else []
        _quit(smtp)
        if failed_now and outcome is None:
            record("failed", failed_now, reasons[0])
    elif failed_now:
        record("failed", failed_now, reasons[0])
    lost = len(remaining) - len(failed_now) if outcome == "unconfirmed" else 0
    notes = [found] if found else []
    if lost:  # the connection lost after the whole message had gone
        notes.append(_unconfirmed_note(lost, reasons.pop()))
    if failed_now:
        return Delivery(*key[:3], list_name, "failed", "; ".join([*reasons, *notes]) + (
            f"; sent to {len(sent_now)} other recipient(s)" if sent_now else ""),
            unconfirmed=cut_off + lost)
    if notes:
        return Delivery(*key[:3], list_name, "unconfirmed", "; ".join(
            ([f"sent to {len(sent_now)} recipient(s)"] if sent_now else []) + notes),
            unconfirmed=cut_off + lost)
    return Delivery(*key[:3], list_name, "sent", f"{len(sent_now)} recipient(s)")


def _data(smtp: _Plain | _Tls, data: bytes, settings: SmtpSettings) -> tuple[str, str | None]:
    """The message itself (DATA): sent, failed (refused, or cut short: the server discards
    it) or unconfirmed (the connection lost once the whole message had gone), and why."""
    try:
        code, answer = smtp.data(data)
    except (OSError, smtplib.SMTPException) as exc:
        if not smtp.whole_message_sent:
            return "failed", smtp_failure(settings, exc)
        return "unconfirmed", _one_line(
            f"{LOST.format(server=f'{settings.host}:{settings.port}')} before its answer "
            f"({type(exc).__name__}: {exc})")
    if code != 250:
        return "failed", _one_line(f"the server refused the message: {code} {_text(answer)}")
    return "sent", None


def _one_line(text: str) -> str:
    """A reason on one line, 300 characters at most: it may quote what a server answered."""
    return " ".join(text.split())[:300]


def _text(answer) -> str:
    """An SMTP answer (bytes as smtplib gives them) as text."""
    return answer.decode("utf-8", "replace") if isinstance(answer, bytes) else str(answer)


def _unconfirmed_note(count: int, why: str) -> str:
    return (f"not known whether {count} recipient(s) have it: {why}; it is not sent to them "
            "again unless `reportlib email --resend-unconfirmed` is run for this report")


def smtp_failure(settings: SmtpSettings, error: BaseException) -> str:
    """A send that failed as a whole, on one line naming the server: 'ConnectionRefusedError:
    [Errno 111] Connection refused' alone did not say which server, nor that it was the mail
    server (REPORTLIB_SMTP_HOST and _PORT, or params/smtp.yaml)."""
    return _one_line(f"SMTP server {settings.host}:{settings.port}: "
                     f"{_smtp_reason(settings, error)}")


def _smtp_reason(settings: SmtpSettings, error: BaseException) -> str:
    """What the server (or the TLS handshake) said, as the operator can act on it: the
    exception's own text gave a tuple of bytes ("(530, b'5.7.0 Authentication required',
    'reports@…')") or no hint of the setting to change."""
    security, user = smtp_variable("security"), smtp_variable("user")
    login = f"{user} and {smtp_variable('password')}"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return _refusal(error.recipients)
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return (f"login as {settings.user} refused: {error.smtp_code} "
                f"{_text(error.smtp_error)} (check {login})")
    if isinstance(error, smtplib.SMTPSenderRefused):
        hint = (f" (it asks to log in: set {login})"
                if error.smtp_code == 530 and not settings.user else "")
        return (f"sender {error.sender} refused: {error.smtp_code} {_text(error.smtp_error)}"
                + hint)
    if isinstance(error, smtplib.SMTPResponseException):
        return f"the server answered {error.smtp_code} {_text(error.smtp_error)}"
    if isinstance(error, smtplib.SMTPNotSupportedError) and "STARTTLS" in str(error):
        return (f"it offers no STARTTLS ({security} is starttls): set it to none for a "
                "server without TLS (with no login), or to ssl for TLS from the first byte")
    if isinstance(error, smtplib.SMTPNotSupportedError) and "AUTH" in str(error):
        return (f"it offers no login (AUTH) and {user} is set: leave {login} unset for a "
                "server that takes mail without logging in")
    if isinstance(error, ssl.SSLCertVerificationError):
        hint = (f"{smtp_variable('host')} must be a name the certificate is for"
                if "mismatch" in str(error.verify_message) else
                "a private CA's: add it to this machine's CA certificates, or point "
                "SSL_CERT_FILE at it")
        return f"its TLS certificate is not trusted: {error.verify_message} ({hint})"
    if (isinstance(error, ssl.SSLError) and error.reason == "WRONG_VERSION_NUMBER"
            and settings.security == "ssl"):
        return (f"it does not speak TLS from the first byte on port {settings.port} ({security} "
                "is ssl): set it to starttls for a server that upgrades a plain connection "
                "(port 587)")
    return f"{type(error).__name__}: {error}"


def _refusal(refused: dict[str, tuple[int, bytes]]) -> str:
    """The server's answer to each refused address, on one line."""
    return _one_line("refused by the server: " + "; ".join(
        f"{address} ({code} {_text(answer)})" for address, (code, answer) in refused.items()))


def utc_now() -> datetime:
    return datetime.now(UTC)
