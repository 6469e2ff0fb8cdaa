"""Your letterhead: the sender's details every letter, e-mail draft and PDF carries.

- `load_sender(path)`: read a sender TOML, every value checked (settings_file) and the
  IBAN (schwifty), KvK number (8 digits) and VAT number (python-stdnum) validated.
- `sender_for(ledger, path=None)`: the details letters on `ledger` use: `path` when given,
  else the sender file beside the ledger (`<ledger>.sender.toml`, written by notebook 06's
  form), else, for the demo ledger only, the example firm (data/sender.toml). A ledger of
  your own without your details is refused, saying how to set them: a letter must never
  carry the example firm's name and IBAN.
- `save_sender(ledger, details)`: check and write the details beside the ledger.
"""

from __future__ import annotations

import json
from pathlib import Path

from dunning_analytics.common.messages import marked, tr
from dunning_analytics.common.settings_file import Setting, SettingsError, read_checked
from dunning_analytics.ledger import LedgerError, is_demo

ROOT = Path(__file__).resolve().parents[2]  # the kit's folder (data/)
EXAMPLE_SENDER = ROOT / "data" / "sender.toml"
# what a letter needs; phone, KvK and VAT number are printed when given
SENDER_FIELDS = ("name", "contact_person", "address", "postcode", "city", "email", "iban")
OPTIONAL_FIELDS = ("phone", "kvk", "vat")
# what every sender value must be (settings_file.check_settings); the VAT rate on the costs
# is a fraction, so 21 (a percentage) would claim 21 times the costs
SENDER_SETTINGS = {
    **dict.fromkeys((*SENDER_FIELDS, *OPTIONAL_FIELDS), Setting("text")),
    "email": Setting("email"),
    "vat_rate_on_costs": Setting("number", 0, 1, words="a fraction from 0 to 1: 0.21 for 21 %"),
}


def sender_path(ledger: str | Path) -> Path:
    """Where the sender details of `ledger` live: beside it, `<ledger>.sender.toml`."""
    ledger = Path(ledger)
    return ledger.with_name(ledger.name + ".sender.toml")


def identity_problems(details: dict) -> dict[str, str]:
    """field -> what is wrong, for the IBAN (schwifty: country, length, check digits), the
    KvK number (8 digits) and the VAT number (python-stdnum: an EU VAT number)."""
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException
    from stdnum.eu import vat

    problems = {}
    try:
        IBAN(str(details.get("iban", "")))
    except SchwiftyException as exc:
        problems["iban"] = tr(
            "{iban!r} is not a valid IBAN ({reason})", iban=details.get("iban"), reason=exc
        )
    kvk = str(details.get("kvk") or "").replace(" ", "")
    if kvk and not (kvk.isdigit() and len(kvk) == 8):
        problems["kvk"] = tr("{kvk!r} is not a KvK number (8 digits)", kvk=details.get("kvk"))
    number = str(details.get("vat") or "")
    if number and not vat.is_valid(number):
        problems["vat"] = tr("{vat!r} is not a valid VAT number (e.g. NL000099998B57)", vat=number)
    return problems


def load_sender(path: str | Path | None = None) -> dict:
    """Read the sender's details (TOML; see data/sender.toml), every value checked.
    Raises SettingsError naming the file and the missing or wrong fields."""
    path = Path(path or EXAMPLE_SENDER)
    sender = read_checked(path, marked("sender file"), SENDER_SETTINGS)
    missing = [name for name in SENDER_FIELDS if not sender.get(name)]
    if missing:
        raise SettingsError(tr("{path}: missing {fields}", path=path, fields=", ".join(missing)))
    problems = identity_problems(sender)
    if problems:
        raise SettingsError(f"{path}: " + "; ".join(problems.values()))
    return sender


def ledger_file(ledger) -> Path | None:
    """The file of `ledger` (a path, or a connection to a file; None in memory)."""
    if isinstance(ledger, str | Path):
        return Path(ledger)
    found = ledger.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchall()
    return Path(found[0][0]) if found and found[0][0] else None


def sender_for(ledger, path: str | Path | None = None) -> dict:
    """The sender details letters on `ledger` carry (see the module's docstring).

    Raises LedgerError with what to do when a ledger of your own has no details, or when
    its details are still the example firm's (its IBAN)."""
    file = ledger_file(ledger)
    beside = sender_path(file) if file else None
    if path is not None:
        sender = load_sender(path)
    elif beside is not None and beside.exists():
        sender = load_sender(beside)
    else:
        sender = None
    if sender is None:
        if is_demo(ledger):
            return load_sender(EXAMPLE_SENDER)
        where = beside or tr("beside the ledger")
        raise LedgerError(
            tr(
                "No sender details for this ledger: letters would carry the example "
                "firm's name and IBAN. Fill in 'Your details' in notebook 06, or copy "
                "{example} to {where} and put in your own, or pass --sender FILE.",
                example=EXAMPLE_SENDER,
                where=where,
            )
        )
    example = load_sender(EXAMPLE_SENDER)
    if not is_demo(ledger) and _compact(sender["iban"]) == _compact(example["iban"]):
        raise LedgerError(
            tr(
                "The sender details still carry the example firm's IBAN ({iban}); put "
                "in your own details (notebook 06, 'Your details', or your sender "
                "file).",
                iban=example["iban"],
            )
        )
    return sender


def _compact(iban: str) -> str:
    return "".join(str(iban).split()).upper()


def save_sender(ledger: str | Path, details: dict) -> Path:
    """Check `details` (the fields of SENDER_FIELDS and OPTIONAL_FIELDS) and write them to
    the sender file beside `ledger` (through outputs.replacing; an earlier one is replaced:
    the form is where you keep them). Raises SettingsError listing every missing or wrong
    field; returns the path."""
    from dunning_analytics.common.settings_file import check_settings
    from dunning_analytics.ledger.outputs import replacing

    details = {k: str(v).strip() for k, v in details.items() if v is not None and str(v).strip()}
    missing = [name for name in SENDER_FIELDS if not details.get(name)]
    problems = [f"missing {', '.join(missing)}"] if missing else []
    problems += identity_problems(details).values()
    if problems:
        raise SettingsError("; ".join(problems))
    check_settings(details, SENDER_SETTINGS)
    path = sender_path(ledger)
    text = "# Your details on letters and e-mails (written by notebook 06's form)\n" + "".join(
        f"{key} = {json.dumps(value, ensure_ascii=False)}\n" for key, value in details.items()
    )
    with replacing(path, force=True) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path
