"""Letters and e-mails per ladder step: reminder, formal notice, 14-day letter, statement.

- `due_letters(ledger, as_of)`: which letters the dunning ladder says are due in the
  working week of `as_of` (dunning.week_actions): a reminder (betalingsherinnering), a
  formal notice for businesses (aanmaning and ingebrekestelling) or a 14-day letter for
  consumers (veertiendagenbrief, art. 6:96 lid 6 BW), and a statement of account
  (rekeningoverzicht) with every notice.
- `build_letter(ledger, as_of, client_id, kind)`: one letter with its figures from the
  ledger (`claims.claim_statement`, `law.claim_costs`, `aging`) and its wording from the
  jinja2 templates in data/letters/ (`<kind>.<lang>.html.j2`, which the user may edit),
  the sender's details from a TOML file (data/sender.toml).
- `write_letters(letters, folder)`: per letter an A4 PDF (headless Chromium, as the
  review) and an .eml draft (standard-library `email`: text and HTML parts, the PDF
  attached, To: the client's e-mail address where known), and letters.csv.
- `mark_sent(ledger, letters, at)`: records the letters as contacts, so the ladder moves on.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass, field
from decimal import Decimal
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd

from dunning_analytics.act.pay_code import invoice_references, payment_code
from dunning_analytics.act.sender import load_sender, sender_for  # noqa: F401 (load_sender: part of this API)
from dunning_analytics.common.formatting import format_date, format_eur, plain_text, resolve_lang
from dunning_analytics.common.messages import tr
from dunning_analytics.common.vocabulary import pick, word
from dunning_analytics.ingest.fields import is_email_address
from dunning_analytics.ledger import LedgerError, connected, query_frame

ROOT = Path(__file__).resolve().parents[2]  # the kit's folder (data/)
DEFAULT_TEMPLATES = ROOT / "data" / "letters"
LETTER_KINDS = ("reminder", "formal_notice", "fourteen_day_letter", "statement")
# the ladder steps a letter is (a statement goes with a notice and is no step)
LADDER_LETTERS = ("reminder", "formal_notice", "fourteen_day_letter")
# days the client gets to pay; the 14-day letter's term is the law's (art. 6:96 lid 6 BW):
# 14 days from the day after receipt, so on a letter received on day D the last day is D + 14
TERM_DAYS = {"reminder": 7, "formal_notice": 14, "fourteen_day_letter": 14}
# letters.csv: one row per letter written
CSV_COLUMNS = (
    *("client_id", "kind", "principal", "interest", "costs", "deadline", "pdf", "eml"),
    "email",  # the address the draft goes to, empty when unknown
    "status",  # written, or why the letter was not written
)

# the fixed words of the layout: key -> (English, Dutch)
_WORDS = {
    "attention": ("Attn.", "T.a.v."),
    "scan_to_pay": ("Scan with your banking app to pay", "Scan met uw bankapp om te betalen"),
    "reference": ("Payment reference", "Betalingskenmerk"),
    "regards": ("Kind regards,", "Met vriendelijke groet,"),
    "kvk": ("Chamber of Commerce", "KvK"),
    "vat": ("VAT", "btw"),
    "invoice": ("Invoice", "Factuur"),
    "invoice_date": ("Invoice date", "Factuurdatum"),
    "due_date": ("Due date", "Vervaldatum"),
    "open": ("Open", "Openstaand"),
    "interest": ("Interest", "Rente"),
    "costs": ("Collection costs", "Incassokosten"),
    "total": ("Total", "Totaal"),
    "item": ("Item", "Soort"),
    "number": ("Number", "Nummer"),
    "amount": ("Amount", "Bedrag"),
    "paid": ("Paid", "Betaald"),
    "balance": ("Balance", "Saldo"),
    "invoice_item": ("invoice", "factuur"),
    "credit_note_item": ("credit note", "creditnota"),
    "payment_item": ("payment", "betaling"),
}


@dataclass
class Letter:
    """One letter to one client: its figures, its wording and where it goes."""

    client_id: str
    name: str
    kind: str
    lang: str
    as_of: dt.date
    deadline: dt.date | None
    principal: Decimal
    interest: Decimal
    costs: Decimal
    email: str | None
    subject: str
    html: str
    invoices: list[dict] = field(default_factory=list)
    claimed: bool = False  # interest and costs are claimed now (the formal notice)
    vat_on_costs: bool = False
    problem: str | None = None  # why it could not be built or written (then it is not sent)
    sender: dict = field(default_factory=dict)  # whose letterhead it carries
    reference: str = ""  # what the client quotes when paying (pay_code.letter_reference)
    pay_qr: str | None = None  # the SEPA payment QR code (EPC069-12) as a PNG data URI
    # what payments since an earlier notice paid (art. 6:44 BW): costs, interest, principal
    received: dict = field(default_factory=dict)
    # the client's running or broken payment plan: status, agreed_on, number, ordinal,
    # amount, due (of the missed or the next instalment); None without one
    plan: dict | None = None

    @classmethod
    def failed(cls, client_id: str, kind: str, lang: str, as_of: dt.date, problem: str):
        """A letter that could not be built: listed in letters.csv, never written or sent."""
        zero = Decimal("0.00")
        return cls(client_id, "", kind, lang, as_of, None, zero, zero, zero, None, "", "",
                   problem=problem)  # fmt: skip

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.costs

    @property
    def text(self) -> str:
        """The letter as plain text (the e-mail's text part)."""
        return html_to_text(self.html)


def _environment(templates: Path, lang: str):
    """A jinja2 environment over `templates` with the filters eur, date and longdate in
    `lang`; HTML is escaped, an unknown variable is an error."""
    import jinja2
    import jinja2.sandbox
    from babel.dates import format_date as babel_date

    # the sandbox: a template (maybe from --templates) formats the figures, never reaches
    # Python's objects (`''.__class__`, `letter.__init__.__globals__` are refused)
    env = jinja2.sandbox.SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(str(templates)),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2", "html")),
        undefined=jinja2.StrictUndefined,
    )
    locale = "nl_NL" if lang == "nl" else "en_GB"
    # a no-break space keeps € with its amount on one line ("€ 953,92", never "€" / "953,92")
    env.filters["eur"] = lambda v: format_eur(v, lang).replace(" ", "\xa0")
    env.filters["date"] = lambda v: format_date(v, lang)
    env.filters["longdate"] = lambda v: babel_date(v, format="long", locale=locale)
    return env


def _client(con, client_id: str) -> dict:
    client = query_frame(con, "SELECT * FROM clients WHERE client_id = $c", {"c": client_id})
    if client.empty:
        raise LedgerError(tr("unknown client {client!r}", client=client_id))
    from dunning_analytics.ingest.fields import CONTACT_DETAILS

    row = {name: None for name in CONTACT_DETAILS} | client.iloc[0].to_dict()
    return {k: (None if v is None or v != v else v) for k, v in row.items()}


def _open_invoices(con, as_of: dt.date, client_id: str, invoice_ids=None) -> pd.DataFrame:
    """The client's open invoices (only `invoice_ids` when given) with what is still open."""
    frame = query_frame(
        con,
        """
        SELECT invoice_id, invoice_date, due_date, outstanding AS principal
        FROM invoice_settlement_at($as_of)
        WHERE client_id = $c AND outstanding > 0 AND amount > 0
        ORDER BY due_date, invoice_id
        """,
        {"as_of": as_of, "c": client_id},
    )
    if invoice_ids is not None:
        frame = frame[frame["invoice_id"].isin(list(invoice_ids))]
    return frame


def _figures(con, as_of, client, kind, lang, invoice_ids, vat_rate) -> dict:
    """The letter's invoices and amounts, from the ledger and the law."""
    from dunning_analytics.questions.aging import aging
    from dunning_analytics.questions.claims import _pro_rata, claim_statement
    from dunning_analytics.questions.law import claim_costs

    zero = Decimal("0.00")
    if kind == "reminder":
        rows = _open_invoices(con, as_of, client["client_id"], invoice_ids)
        if invoice_ids is None:
            rows = rows[rows["due_date"] < as_of]
        rows = rows.assign(interest=zero, costs=zero, total=rows["principal"])
        principal = sum(rows["principal"], zero)
        return {"rows": rows, "principal": principal, "interest": zero, "costs": zero}
    if kind in ("formal_notice", "fourteen_day_letter"):
        claim = claim_statement(con, as_of, client["client_id"], lang=lang)
        rows = claim.invoices
        if kind == "formal_notice":
            return {
                "rows": rows,
                "principal": claim.principal,
                "interest": claim.interest,
                "costs": claim.costs,
                "received": claim.received(),
            }
        # the costs the consumer will owe once the 14 days have passed: BIK over the principal
        costs = claim_costs(list(rows["principal"]), "consumer", True, vat_rate)
        rows = rows.assign(interest=zero, costs=_pro_rata(costs, list(rows["principal"])))
        rows["total"] = [p + c for p, c in zip(rows["principal"], rows["costs"], strict=True)]
        return {"rows": rows, "principal": claim.principal, "interest": zero, "costs": costs}
    items = aging(con, as_of, by="invoice", client_id=client["client_id"])
    rows = pd.DataFrame(
        {
            "item": [pick(_WORDS[f"{t}_item"], lang) for t in items["item_type"]],
            "invoice_id": items["invoice_id"],
            "invoice_date": items["invoice_date"],
            "due_date": items["due_date"],
            "amount": items["amount"],
            "paid": items["paid_amount"],  # everything settled on it, credits included
            "principal": items["outstanding"],
        }
    )
    return {
        "rows": rows,
        "principal": sum(rows["principal"], zero),
        "interest": zero,
        "costs": zero,
    }


def _plan_for_letter(con, as_of: dt.date, client_id: str, lang: str) -> dict | None:
    """The client's latest payment plan as a letter tells it (plan_note.html.j2): the missed
    instalment of a broken plan, the next one of a running plan; None otherwise."""
    from dunning_analytics.questions.claims import latest_plan
    from dunning_analytics.questions.dunning import _ordinal

    plan = latest_plan(con, as_of, client_id)
    if plan is None or plan["plan_status"] not in ("broken", "running"):
        return None
    broken = plan["plan_status"] == "broken"
    number = plan["broken_number"] if broken else plan["next_number"]
    if number is None:
        return None
    return {
        "status": plan["plan_status"],
        "agreed_on": plan["agreed_on"],
        "number": int(number),
        "ordinal": _ordinal(int(number), lang),
        "amount": plan["broken_amount"] if broken else plan["next_amount"],
        "due": plan["broken_due"] if broken else plan["next_due"],
    }


def build_letter(
    ledger,
    as_of: dt.date,
    client_id: str,
    kind: str,
    lang: str | None = None,
    sender: dict | None = None,
    templates: str | Path | None = None,
    invoice_ids: list[str] | None = None,
) -> Letter:
    """Return the letter of `kind` to `client_id` as of `as_of`.

    In: ledger, as-of date (the letter's date), client id, kind (one of LETTER_KINDS),
    language (else $DUNNING_LANG, else English), the sender's details (default
    sender.sender_for(ledger)),
    the template folder (default data/letters/), and for a reminder the invoices it is
    about (default: every overdue invoice). Out: a Letter with the figures and the
    rendered HTML. Raises LedgerError for an unknown client or kind, a formal notice to
    a consumer or a 14-day letter to a business, or a letter with nothing to claim.
    """

    if kind not in LETTER_KINDS:
        raise LedgerError(
            tr(
                "unknown letter kind {kind!r}; use one of {kinds}",
                kind=kind,
                kinds=", ".join(LETTER_KINDS),
            )
        )
    lang = resolve_lang(lang)
    sender = sender or sender_for(ledger)
    folder = Path(templates or DEFAULT_TEMPLATES)
    vat_rate = (
        Decimal(str(sender["vat_rate_on_costs"])) if sender.get("vat_rate_on_costs") else None
    )
    with connected(ledger) as con:
        client = _client(con, client_id)
        _check_kind_fits(kind, client, client_id)
        figures = _figures(con, as_of, client, kind, lang, invoice_ids, vat_rate)
        plan = _plan_for_letter(con, as_of, client_id, lang)
        references = invoice_references(con, list(figures["rows"]["invoice_id"]))
    if figures["rows"].empty:
        raise LedgerError(
            tr(
                "{client} has nothing open to write a {kind} about on {date}",
                client=client_id,
                kind=word(kind),
                date=format_date(as_of),
            )
        )
    days = TERM_DAYS.get(kind)
    letter = Letter(
        client_id=client_id,
        name=str(client["name"]),
        kind=kind,
        lang=lang,
        as_of=as_of,
        deadline=as_of + dt.timedelta(days=days) if days else None,
        principal=figures["principal"],
        interest=figures["interest"],
        costs=figures["costs"],
        email=client.get("email"),
        subject="",
        html="",
        invoices=figures["rows"].to_dict("records"),
        claimed=kind == "formal_notice",
        received=figures.get("received", {}),
        plan=plan,
        vat_on_costs=vat_rate is not None,
        sender=sender,
    )
    # the reference to quote and the QR code for the letter's total (none without an IBAN)
    letter.reference, letter.pay_qr = payment_code(letter.sender, letter.total, references)
    letter.html, letter.subject = _rendered(letter, client, folder)
    return letter


def _check_kind_fits(kind: str, client: dict, client_id: str) -> None:
    """A LedgerError for a formal notice to a consumer or a 14-day letter to a business."""
    if kind == "formal_notice" and client["kind"] == "consumer":
        raise LedgerError(
            tr("{client} is a consumer: send a 14-day letter, not a notice", client=client_id)
        )
    if kind == "fourteen_day_letter" and client["kind"] != "consumer":
        raise LedgerError(
            tr("{client} is a business: send a formal notice instead", client=client_id)
        )


def _rendered(letter: Letter, client: dict, folder: Path) -> tuple[str, str]:
    """(HTML, subject) of `letter` from its template in `folder` ("<kind>.<lang>.html.j2");
    a LedgerError when there is no such template."""
    name = f"{letter.kind}.{letter.lang}.html.j2"
    if not (folder / name).exists():
        raise LedgerError(tr("no template {path}", path=folder / name))
    template = _environment(folder, letter.lang).get_template(name)
    context = {
        "sender": letter.sender,
        "client": client,
        "letter": letter,
        "invoices": letter.invoices,
        "t": {key: pick(pair, letter.lang) for key, pair in _WORDS.items()},
    }
    return render(template, context, folder / name)


def render(template, context: dict, path: Path) -> tuple[str, str]:
    """In: a template of `_environment` (with a `subject` block), its context and file.
    Out: the HTML and the subject as one line of text. A template error (an unknown
    variable, the sandbox refusing Python's objects) raises LedgerError with file and line."""
    import jinja2

    try:
        body = template.render(context)
        subject = "".join(template.blocks["subject"](template.new_context(context)))
    except jinja2.TemplateError as exc:
        raise LedgerError(f"{_template_line(exc, path)}: {exc}") from None
    return body, html.unescape(subject).strip()


def _template_line(exc: Exception, default: Path) -> str:
    """Where in a template an error arose: `file:line` from the traceback jinja2 rewrites
    to the template's own lines (the innermost template frame), else the template's file."""
    import traceback

    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith(".j2")]
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else str(default)


def due_letters(
    ledger, as_of: dt.date, work: pd.DataFrame | None = None
) -> list[tuple[str, str, list[str]]]:
    """Which letters the ladder says are due in the working week of `as_of`, the backlog
    included: (client_id, kind, invoice ids) per client and kind, and a statement of
    account with every formal notice or 14-day letter."""
    from dunning_analytics.questions.dunning import week_actions, worklist

    work = worklist(ledger, as_of) if work is None else work
    actions = week_actions(work, as_of)
    actions = actions[actions["next_action"].isin(LADDER_LETTERS)]
    due = []
    for (client_id, kind), rows in actions.groupby(["client_id", "next_action"], sort=True):
        due.append((client_id, kind, sorted(rows["invoice_id"])))
        if kind != "reminder":
            due.append((client_id, "statement", []))
    return due


def letters_due(
    ledger,
    as_of: dt.date,
    client_id: str | None = None,
    kind: str | None = None,
    lang: str | None = None,
    sender: dict | None = None,
    templates: str | Path | None = None,
) -> list[Letter]:
    """Build the letters due in the week of `as_of` (see due_letters), only those of
    `client_id` and `kind` when given; with both given, that letter even when the ladder
    does not call for it yet. The letters carry `sender`, else sender.sender_for(ledger)
    (refused for a ledger of your own without your details)."""
    sender = sender or sender_for(ledger)
    with connected(ledger) as con:
        wanted = [
            (c, k, ids)
            for c, k, ids in due_letters(con, as_of)
            if (client_id is None or c == client_id) and (kind is None or k == kind)
        ]
        if not wanted and client_id is not None and kind is not None:
            wanted = [(client_id, kind, None)]
        return [
            _letter_or_problem(
                con, as_of, c, k, lang, sender, templates, ids if k == "reminder" else None
            )
            for c, k, ids in wanted
        ]


def _letter_or_problem(con, as_of, client_id, kind, lang, sender, templates, invoice_ids):
    """build_letter, or a Letter.failed saying why (one client's bad data or a template
    error stops that letter only)."""
    import jinja2

    try:
        return build_letter(con, as_of, client_id, kind, lang, sender, templates, invoice_ids)
    except (LedgerError, ValueError, KeyError, TypeError, jinja2.TemplateError) as exc:
        reason = plain_text(exc) or type(exc).__name__
        return Letter.failed(client_id, kind, resolve_lang(lang), as_of, reason)


class _Text(HTMLParser):
    """Plain text from a letter's HTML: paragraphs apart, table cells side by side."""

    BLOCKS = {"p", "div", "h1", "h2", "h3", "tr", "table", "br", "li"}

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "title", "head"):
            self.skip += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append("  ")

    def handle_endtag(self, tag):
        if tag in ("style", "title", "head"):
            self.skip -= 1
        elif tag in ("p", "h1", "table", "div"):
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(markup: str) -> str:
    """Return the text of `markup`: one line per paragraph or table row, blank lines
    between paragraphs."""
    parser = _Text()
    parser.feed(markup)
    lines = [line.strip() for line in "".join(parser.parts).replace("\xa0", " ").splitlines()]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    return text.strip() + "\n"


def draft_email(sender: dict, name: str, address, subject: str, body: str) -> EmailMessage:
    """An e-mail draft from `sender` to `name` at `address` (left out unless it is one plain
    address): the subject on one inert line, the HTML `body` and its text; marked unsent
    (X-Unsent), so a mail program opens it as a draft to send."""
    from email.headerregistry import Address

    message = EmailMessage()
    message["From"] = Address(plain_text(sender["name"]), addr_spec=sender["email"])
    if is_email_address(address):
        message["To"] = Address(plain_text(name), addr_spec=address)
    message["Subject"] = plain_text(subject)
    message["X-Unsent"] = "1"
    message.set_content(html_to_text(body))
    html_body, images = _inline_images(body)
    message.add_alternative(html_body, subtype="html")
    html_part = message.get_payload()[-1]
    for cid, png in images:  # mail programs show an inline part where a data: URI is blocked
        html_part.add_related(png, maintype="image", subtype="png", cid=f"<{cid}>")
    return message


_DATA_PNG = re.compile(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


def _inline_images(body: str) -> tuple[str, list[tuple[str, bytes]]]:
    """The HTML with each PNG data URI (the payment QR code) replaced by a cid: reference,
    and the images: (content id, PNG bytes)."""
    import base64

    images: list[tuple[str, bytes]] = []

    def to_cid(match) -> str:
        cid = f"image{len(images) + 1}@dunning-analytics"
        images.append((cid, base64.b64decode(match.group(1))))
        return f'src="cid:{cid}"'

    return _DATA_PNG.sub(to_cid, body), images


def letter_email(letter: Letter, sender: dict, pdf: bytes | None, pdf_name: str) -> EmailMessage:
    """The letter as an e-mail draft: text and HTML parts, the PDF attached, To: the
    client's address when it is one plain address; marked as unsent (X-Unsent), so a mail
    program opens it as a draft to send. Names and subject are one inert line each."""

    message = draft_email(sender, letter.name, letter.email, letter.subject, letter.html)
    if pdf is not None:
        message.add_attachment(pdf, maintype="application", subtype="pdf", filename=pdf_name)
    return message


# a letter kind in a Dutch file name (an English name keeps the code)
DUTCH_FILE_KINDS = {
    "reminder": "herinnering",
    "formal_notice": "aanmaning",
    "fourteen_day_letter": "veertiendagenbrief",
    "statement": "rekeningoverzicht",
}


def file_stem(letter: Letter) -> str:
    """The letter's file name without suffix: date, client, kind (in the letter's language),
    and 8 hex digits of the client id's sha256, so two clients whose ids differ only in
    signs a file name cannot hold ('K 1', 'K/1') never share a file."""
    kind = DUTCH_FILE_KINDS.get(letter.kind, letter.kind) if letter.lang == "nl" else letter.kind
    return f"{letter.as_of.isoformat()}-{client_file_tag(letter.client_id)}-{kind}"


def client_file_tag(client_id: str) -> str:
    """A client id as a file name can hold it: its letters, digits, '_' and '-' (at most 40),
    then 8 hex digits of its sha256, so 'K 1' and 'K/1' never share a name."""
    import hashlib

    client = re.sub(r"[^A-Za-z0-9_-]+", "_", client_id)[:40]
    return f"{client}-{hashlib.sha256(client_id.encode('utf-8')).hexdigest()[:8]}"


def write_letters(
    letters: list[Letter],
    folder: str | Path,
    sender: dict | None = None,
    pdf: bool = True,
    ledger=None,
    force: bool = False,
) -> pd.DataFrame:
    """Write each letter as a PDF (A4, headless Chromium; skipped with pdf=False) and an
    .eml draft into `folder`, and letters.csv listing them, each file through
    outputs.replacing (never onto `ledger`'s files, never over a file the kit did not
    write unless `force`, never half a file).

    A letter that cannot be built or written is listed with its reason in the status
    column and gets `problem` set (mark_sent skips it); the others are written.
    Out: the letters.csv rows: client_id, kind, principal, interest, costs, deadline, pdf,
    eml, email (the address it goes to, empty when unknown), status.
    """
    from dunning_analytics.ledger.outputs import replacing
    from dunning_analytics.present.exports import spreadsheet_frame, write_csv

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if pdf:
        _print_letters([x for x in letters if x.problem is None], folder, ledger, force)
    rows = []
    for letter in letters:
        files = {"pdf": "", "eml": ""}
        if letter.problem is None:
            try:
                sent_by = sender or letter.sender
                files = _write_letter_email(letter, folder, sent_by, pdf, ledger, force)
            except (LedgerError, ValueError, OSError) as exc:
                letter.problem = plain_text(exc) or type(exc).__name__
        rows.append(
            {
                **{c: getattr(letter, c) for c in CSV_COLUMNS[:6]},
                **files,
                "email": letter.email if is_email_address(letter.email) else "",
                "status": "written" if letter.problem is None else f"not written: {letter.problem}",
            }
        )
    table = pd.DataFrame(rows, columns=list(CSV_COLUMNS))
    with replacing(folder / "letters.csv", ledger, force) as tmp:
        money = ["principal", "interest", "costs"]
        write_csv(spreadsheet_frame(table), tmp, lang="en", money=money)
    return table


def _print_letters(letters: list[Letter], folder: Path, ledger, force: bool) -> None:
    """Print every letter's PDF in one browser session (pdf.print_pdfs); a letter whose PDF
    could not be written gets its `problem` set."""
    from dunning_analytics.present.pdf import PdfJob, print_pdfs

    jobs = [PdfJob(letter.html, folder / f"{file_stem(letter)}.pdf") for letter in letters]
    for letter, printed in zip(letters, print_pdfs(jobs, ledger, force), strict=True):
        if isinstance(printed, Exception):
            letter.problem = plain_text(printed) or type(printed).__name__


def _write_letter_email(letter: Letter, folder: Path, sender, pdf: bool, ledger, force) -> dict:
    """Write one letter's .eml draft (with its printed PDF attached when `pdf`); return the
    file names of both."""
    from dunning_analytics.ledger.outputs import write_bytes

    stem = file_stem(letter)
    pdf_path = folder / f"{stem}.pdf"
    pdf_bytes = pdf_path.read_bytes() if pdf else None
    email = bytes(letter_email(letter, sender, pdf_bytes, pdf_path.name))
    eml_path = write_bytes(folder / f"{stem}.eml", email, ledger, force)
    return {"pdf": pdf_path.name if pdf else "", "eml": eml_path.name}


def mark_sent(ledger, letters: list[Letter], at: dt.datetime):
    """Record the ladder letters among `letters` that were written (no `problem`) as sent
    at `at`: one contact per invoice
    (a reminder by e-mail, a notice or 14-day letter as a letter), in one validated load.
    Returns the LoadResult, or None when there was nothing to record."""
    from dunning_analytics.act.conversation import record_contacts

    contacts = [
        {
            "client_id": letter.client_id,
            "invoice_id": row["invoice_id"],
            "kind": letter.kind,
            "at": at,  # the channel is the kind's own (conversation.DEFAULT_CHANNEL)
            "note": letter.subject,
        }
        for letter in letters
        if letter.kind in LADDER_LETTERS and letter.problem is None
        for row in letter.invoices
    ]
    if not contacts:
        return None
    return record_contacts(ledger, contacts, source=f"letters sent {at:%Y-%m-%d %H:%M}")
