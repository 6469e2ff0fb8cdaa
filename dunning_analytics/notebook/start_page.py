"""The start page: the views in the order of a working week, what to do today first, and up
to which date the ledger has data. Rendered from templates/start.html.j2 in the user's
language; notebooks/00_start.ipynb shows it, in JupyterLab (`make lab`) and as the app's
first page (`make app`, Voilà)."""

from __future__ import annotations

from dunning_analytics.common.formatting import resolve_lang
from dunning_analytics.common.vocabulary import pick
from dunning_analytics.ledger import data_note

# notebook -> (title, what it is for), each (English, Dutch): a working week's order
VIEWS = {
    "06_dunning_worklist.ipynb": (
        ("This week's work", "Werk van deze week"),
        (
            "who to call, which letters to send, record what was agreed",
            "wie u belt, welke brieven u stuurt, vastleggen wat is afgesproken",
        ),
    ),
    "02_aging.ipynb": (
        ("Who owes what", "Wie is wat verschuldigd"),
        ("open amounts by how long they are overdue", "openstaande bedragen naar ouderdom"),
    ),
    "07_cash_forecast.ipynb": (
        ("Money coming in", "Verwachte ontvangsten"),
        (
            "when each invoice is expected to be paid, per week",
            "wanneer elke factuur betaald wordt, per week",
        ),
    ),
    "04_prepayment_risk.ipynb": (
        ("New work: deposit or prepayment?", "Nieuw werk: aanbetaling of vooruitbetaling?"),
        ("which clients pay first, and why", "welke klanten eerst betalen, en waarom"),
    ),
    "03_payment_behaviour.ipynb": (
        ("How each client pays", "Hoe elke klant betaalt"),
        ("days late, trend and grade per client", "dagen te laat, trend en beoordeling per klant"),
    ),
    "05_quarterly_review.ipynb": (
        ("Quarterly client-risk review", "Debiteurenrisico-overzicht per kwartaal"),
        (
            "the quarter on one page, to print or share",
            "het kwartaal op één pagina, om te printen of te delen",
        ),
    ),
    "01_ledger.ipynb": (
        ("Your ledger", "Uw debiteurenbestand"),
        (
            "what was loaded, and every refused row with its reason",
            "wat is ingelezen, en elke geweigerde regel met de reden",
        ),
    ),
}
_PAGE = {
    "title": ("Dunning analytics", "Debiteurenbeheer"),
    "intro": (
        "Start with this week's work; the other views answer the questions behind it.",
        "Begin met het werk van deze week; de andere overzichten beantwoorden de vragen erachter.",
    ),
}


def start_page_html(ledger, lang: str | None = None, today=None) -> str:
    """The start page as HTML (jinja2, autoescaped) in `lang` for `ledger`."""
    from dunning_analytics.present.pages import render_page

    lang = resolve_lang(lang)
    views = [
        {"href": href, "title": pick(title, lang), "what": pick(what, lang)}
        for href, (title, what) in VIEWS.items()
    ]
    return render_page(
        "start.html.j2",
        title=pick(_PAGE["title"], lang),
        intro=pick(_PAGE["intro"], lang),
        data=data_note(ledger, lang, today),
        views=views,
    )


def start_page(ledger, lang: str | None = None):
    """The start page for a notebook cell (IPython HTML)."""
    from IPython.display import HTML

    return HTML(start_page_html(ledger, lang))
