"""The words people see: column headings, aging buckets, grades and ladder steps, in English
or Dutch.

The SQL models and DataFrames keep English codes ('not yet due', 'formal_notice',
'new'); only what is shown or exported is translated here, so a Dutch screen and an
English one show the same figures.
"""

from __future__ import annotations

import re

import pandas as pd

from dunning_analytics.common.formatting import resolve_lang

# code -> (English, Dutch)
_WORDS = {
    # aging buckets
    "not yet due": ("not yet due", "nog niet vervallen"),
    "unapplied credit": ("unapplied credit", "niet-toegewezen tegoed"),
    # grades
    "new": ("new", "nieuw"),
    # ladder steps and contact kinds
    "none": ("none", "geen"),
    "service_call": ("service call", "servicetelefoontje"),
    "reminder": ("reminder", "betalingsherinnering"),
    "call": ("phone call", "telefoontje"),
    "formal_notice": ("formal notice", "aanmaning"),
    "fourteen_day_letter": ("14-day letter", "veertiendagenbrief"),
    "collection": ("collection", "incasso"),
    "promise_to_pay": ("promise to pay", "betaalbelofte"),
    "payment_plan": ("payment plan", "betalingsregeling"),
    "dispute": ("dispute", "betwisting"),
    "no_answer": ("no answer", "geen gehoor"),
    "wait": ("wait for the promise", "wachten op de belofte"),
    "done": ("every step taken", "alle stappen gezet"),
    "with_agency": ("with a collection agency", "bij een incassobureau"),
    # promise outcomes
    "kept": ("kept", "nagekomen"),
    "broken": ("broken", "niet nagekomen"),
    "pending": ("pending", "loopt nog"),
    "no date": ("no date", "zonder datum"),
    "no calls": ("No calls this week.", "Deze week geen telefoontjes."),
    # client kinds
    "business": ("business", "zakelijk"),
    "consumer": ("consumer", "consument"),
    # item types
    "invoice": ("invoice", "factuur"),
    "credit_note": ("credit note", "creditnota"),
    "payment": ("payment", "betaling"),
    # forecast methods (backtest)
    "forecast": ("forecast", "voorspelling"),
    "due_date_baseline": ("paid on the due date", "betaald op de vervaldatum"),
    "client_median_baseline": ("client's median days late", "mediaan dagen te laat van de klant"),
}

# column -> (English heading, Dutch heading)
_HEADINGS = {
    "client_id": ("client", "klantnr."),
    "name": ("name", "naam"),
    "kind": ("kind", "soort"),
    "client_kind": ("kind", "soort"),
    "invoice_id": ("invoice", "factuur"),
    "item_type": ("item", "post"),
    "invoice_date": ("invoice date", "factuurdatum"),
    "due_date": ("due date", "vervaldatum"),
    "amount": ("amount", "bedrag"),
    "paid_amount": ("paid", "betaald"),
    "credit_applied": ("credit applied", "verrekend tegoed"),
    "outstanding": ("outstanding", "openstaand"),
    "overdue": ("overdue", "vervallen"),
    "days_overdue": ("days overdue", "dagen vervallen"),
    "bucket": ("bucket", "ouderdom"),
    "disputed": ("disputed", "betwist"),
    "grade": ("grade", "beoordeling"),
    "level": ("level", "niveau"),
    "recommendation": ("terms", "voorwaarden"),
    "reason_text": ("reasons", "redenen"),
    "revenue": ("revenue (12 months)", "omzet (12 maanden)"),
    "open_exposure": ("open exposure", "openstaand risico"),
    "stage": ("last step", "laatste stap"),
    "next_action": ("next step", "volgende stap"),
    "note": ("note", "toelichting"),
    "action_date": ("on", "op"),
    "backlog": ("from an earlier week", "uit een eerdere week"),
    "promised_date": ("promised for", "beloofd voor"),
    "start": ("start", "begin"),
    "minutes": ("minutes", "minuten"),
    "goal": ("goal", "doel"),
    "open": ("open", "open"),
    "phone": ("phone", "telefoon"),
    "invoices": ("invoices", "facturen"),
    "sheet": ("call sheet", "belblad"),
    "total_overdue": ("overdue", "vervallen"),
    "period_start": ("from", "van"),
    "period_end": ("to", "tot en met"),
    "dso": ("DSO (days)", "DSO (dagen)"),
    "countback_dso": ("countback DSO (days)", "countback-DSO (dagen)"),
    "best_possible_dso": ("best possible DSO (days)", "best mogelijke DSO (dagen)"),
    "best_dso": ("best possible DSO (days)", "best mogelijke DSO (dagen)"),
    "sales": ("credit sales", "omzet op rekening"),
    "opening_ar": ("receivables at start", "debiteuren aan het begin"),
    "closing_ar": ("receivables at end", "debiteuren aan het eind"),
    "closing_current": ("of which not yet due", "waarvan nog niet vervallen"),
    "action_text": ("what to do", "wat te doen"),
    "add_days": ("days delinquent (ADD)", "dagen te laat (ADD)"),
    "cei": ("CEI (%)", "CEI (%)"),
    "credit_sales": ("credit sales", "omzet op rekening"),
    "receivables_end": ("receivables at end", "debiteuren aan het eind"),
    "overdue_share": ("overdue share", "aandeel vervallen"),
    "principal": ("principal", "hoofdsom"),
    "interest": ("statutory interest", "wettelijke rente"),
    "costs": ("collection costs", "incassokosten"),
    "claimed_on": ("claimed on", "aangemaand op"),
    "paid_costs": ("paid since: costs", "sindsdien betaald: kosten"),
    "paid_interest": ("paid since: interest", "sindsdien betaald: rente"),
    "paid_principal": ("paid since: principal", "sindsdien betaald: hoofdsom"),
    "week_start": ("week from", "week vanaf"),
    "expected_amount": ("expected", "verwacht"),
    "low": ("low (80 % band)", "laag (80%-band)"),
    "high": ("high (80 % band)", "hoog (80%-band)"),
    "expected_date": ("expected payment", "verwachte betaling"),
    "p10_date": ("earliest (10 %)", "vroegst (10%)"),
    "p90_date": ("latest (90 %)", "uiterlijk (90%)"),
    "p_paid_30_days_after_due": (
        "chance paid within 30 days after due",
        "kans betaald binnen 30 dagen na vervaldatum",
    ),
    "method": ("method", "methode"),
    "mae_days": ("expected-date error (days)", "afwijking betaaldatum (dagen)"),
    "wape": ("weekly cash-in error (WAPE)", "afwijking per week (WAPE)"),
    "coverage": ("share in the 80 % interval", "aandeel binnen het 80%-interval"),
    "within_3_days": ("dated within 3 days", "datum binnen 3 dagen"),
    "within_7_days": ("dated within 7 days", "datum binnen 7 dagen"),
    "week_coverage": ("weeks in the 80 % band", "weken binnen de 80%-band"),
    "why": ("why this date", "waarom deze datum"),
    "p_paid_30_pct": (
        "chance paid within 30 days after due (%)",
        "kans betaald binnen 30 dagen na vervaldatum (%)",
    ),
    "chance_in_week": ("chance that week (%)", "kans die week (%)"),
    "p_after_year": ("chance unpaid after a year", "kans na een jaar nog open"),
    "total": ("Total", "Totaal"),
    # the ledger's own tables (notebook 01)
    "table_name": ("table", "tabel"),
    "rows": ("rows", "rijen"),
    "load_id": ("load", "inleesactie"),
    "file_name": ("file", "bestand"),
    "rows_read": ("read", "gelezen"),
    "rows_loaded": ("new", "nieuw"),
    "rows_updated": ("updated", "bijgewerkt"),
    "rows_unchanged": ("unchanged", "ongewijzigd"),
    "rows_rejected": ("refused", "geweigerd"),
    "loaded_at": ("loaded at (UTC)", "ingelezen op (UTC)"),
    "paid_direct": ("paid directly", "direct betaald"),
    "settled_date": ("settled on", "voldaan op"),
    "days_to_pay": ("days to pay", "dagen tot betaling"),
    "days_late": ("days late", "dagen te laat"),
    "line": ("line", "regel"),
    "column": ("column", "kolom"),
    "value": ("value", "waarde"),
    "reason": ("reason", "reden"),
    "clients": ("clients", "klanten"),
    # the deposit flags' backtest (notebook 04)
    "as_of": ("as of", "peildatum"),
    "flagged_clients": ("flagged clients", "gemarkeerde klanten"),
    "revenue_next": ("revenue in the months after", "omzet in de maanden erna"),
    "late_amount": ("paid > 14 days late", "> 14 dagen te laat betaald"),
    "flagged_late_amount": ("... by flagged clients", "... door gemarkeerde klanten"),
    "collection_amount": ("sent to collection", "naar incasso"),
    "flagged_collection_amount": ("... of flagged clients", "... van gemarkeerde klanten"),
    "revenue_share": ("their share of revenue", "hun aandeel in de omzet"),
    "late_share": ("their share of late money", "hun aandeel in te laat geld"),
    "lift": ("ratio (late / revenue share)", "verhouding (te laat / omzet)"),
    # the forecast's backtest (notebook 07)
    "expected_cash": ("forecast cash-in", "voorspeld binnen"),
    "came_in": ("came in", "binnengekomen"),
}

_OVER = re.compile(r"^over (\d+)$")


def pick(pair: tuple[str, str], lang: str | None = None) -> str:
    """Return the English or the Dutch of an (English, Dutch) pair, by `lang`."""
    return pair[resolve_lang(lang) == "nl"]


def word(code, lang: str | None = None) -> str:
    """Return how `code` (a bucket, grade, ladder step, client kind) reads in `lang`.

    Unknown codes (a client's name, a bucket like '1–30', a grade letter) come back as
    they are; 'over 90' becomes 'meer dan 90' in Dutch.
    """
    if not isinstance(code, str):
        return code
    if code in _WORDS:
        return pick(_WORDS[code], lang)
    over = _OVER.match(code)
    if over and resolve_lang(lang) == "nl":
        return f"meer dan {over.group(1)}"
    return code


def heading(column: str, lang: str | None = None) -> str:
    """Return the heading people see for a DataFrame column (a bucket label is translated)."""
    if column in _HEADINGS:
        return pick(_HEADINGS[column], lang)
    return word(column, lang)


def shown_frame(frame: pd.DataFrame, lang: str | None = None, codes=()) -> pd.DataFrame:
    """Return a copy of `frame` with headings in `lang`, the values of the `codes` columns
    (e.g. grade, stage, bucket) translated with `word`, and yes/no columns as words
    (ja/nee), never True/False."""
    out = frame.copy()
    yes_no = {True: pick(("yes", "ja"), lang), False: pick(("no", "nee"), lang)}
    for column in out.columns:
        if pd.api.types.is_bool_dtype(out[column]):
            out[column] = out[column].map(yes_no)
    for column in codes:
        if column in out:
            # each distinct code translated once (a column has a handful)
            words = {v: word(v, lang) for v in out[column].dropna().unique()}
            out[column] = out[column].map(words).where(out[column].notna(), out[column])
    return out.rename(columns={c: heading(c, lang) for c in out.columns})
