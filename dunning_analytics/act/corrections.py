"""Taking back a recorded contact: a call on the wrong client, a promise with the wrong
date, a letter marked sent that never went out.

- `recent_contacts(ledger, client_id)`: the client's last contacts, newest first, with the
  contact id each correction names.
- `withdraw_contact(ledger, contact_id, by, reason)`: moves the contact, as it was, into
  `withdrawn_contacts` with who withdrew it, when and why, in one transaction. The views read
  `contacts`, so the ladder, the call plan and the risk rules no longer count it: the
  invoice's earlier next step comes back. To correct a contact, withdraw it and record the
  right one (the call form or `dunning-analytics contact`).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from dunning_analytics.common.messages import tr
from dunning_analytics.ledger import LedgerError, connected, query_frame, transaction

_SHOWN = "contact_id, contact_at, kind, invoice_id, promised_date, promised_amount, note"


def recent_contacts(ledger, client_id: str, limit: int = 8) -> pd.DataFrame:
    """The last `limit` contacts of `client_id`, newest first: contact_id, contact_at,
    kind, invoice_id, promised_date, promised_amount, note."""
    with connected(ledger) as con:
        return query_frame(
            con,
            f"SELECT {_SHOWN} FROM contacts WHERE client_id = $c "
            "ORDER BY contact_at DESC, contact_id LIMIT $n",
            {"c": client_id, "n": limit},
        )


def withdraw_contact(
    ledger, contact_id: str, by: str, reason: str | None = None, at: dt.datetime | None = None
) -> dict:
    """Withdraw the contact `contact_id` (see the module's docstring); `by` is who does it,
    `at` when (default now). Out: the contact as it was recorded. Raises LedgerError for an
    unknown or already withdrawn contact, the ledger unchanged."""
    at = at or dt.datetime.now().replace(microsecond=0)
    with connected(ledger, read_only=False) as con, transaction(con):
        found = query_frame(
            con, "SELECT * FROM contacts WHERE contact_id = $id", {"id": contact_id}
        )
        if found.empty:
            earlier = con.execute(
                "SELECT withdrawn_at, withdrawn_by FROM withdrawn_contacts WHERE contact_id = ?",
                [contact_id],
            ).fetchall()
            if earlier:
                when, who = earlier[0]
                raise LedgerError(
                    tr(
                        "contact {id} was withdrawn already ({when}, {who})",
                        id=contact_id,
                        when=f"{when:%d-%m-%Y %H:%M}",
                        who=who,
                    )
                )
            raise LedgerError(tr("no contact {id} in the ledger", id=contact_id))
        con.execute(
            "INSERT INTO withdrawn_contacts BY NAME SELECT *, $at AS withdrawn_at, "
            "$by AS withdrawn_by, $reason AS withdrawn_reason FROM contacts WHERE contact_id = $id",
            {"at": at, "by": by, "reason": reason, "id": contact_id},
        )
        con.execute("DELETE FROM contacts WHERE contact_id = ?", [contact_id])
    return found.iloc[0].to_dict()
