-- The ledger's tables: the public contract (see README "The ledger").
-- Amounts are DECIMAL(18,2) euros incl. VAT; dates are DATE.
-- No PRIMARY KEY constraints: the loader guarantees unique ids and keeps
-- bulk loads of millions of rows cheap (no index to maintain).

CREATE TABLE IF NOT EXISTS ledger_meta (
    key   VARCHAR,
    value VARCHAR
);

CREATE TABLE IF NOT EXISTS loads (
    load_id        INTEGER   NOT NULL,
    file_name      VARCHAR   NOT NULL,
    sha256         VARCHAR   NOT NULL,
    kind           VARCHAR   NOT NULL,  -- history / invoices / payments / contacts / clients
    rows_read      BIGINT    NOT NULL,
    rows_loaded    BIGINT    NOT NULL,  -- new records
    rows_updated   BIGINT    NOT NULL,  -- existing records whose contents changed
    rows_unchanged BIGINT    NOT NULL,
    rows_rejected  BIGINT    NOT NULL,
    loaded_at      TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS rejected_rows (
    load_id   INTEGER NOT NULL,
    file_name VARCHAR NOT NULL,
    line      BIGINT  NOT NULL,
    "column"  VARCHAR,
    value     VARCHAR,
    reason    VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS clients (
    client_id         VARCHAR NOT NULL,
    name              VARCHAR,
    kind              VARCHAR NOT NULL DEFAULT 'business',  -- business / consumer
    payment_term_days INTEGER,
    since             DATE,
    credit_limit      DECIMAL(18, 2),
    source_load       INTEGER
);

-- how to reach a client (call sheets, letters, e-mail drafts); older ledgers gain them on opening
ALTER TABLE clients ADD COLUMN IF NOT EXISTS contact_person VARCHAR;
ALTER TABLE clients ADD COLUMN IF NOT EXISTS email VARCHAR;
ALTER TABLE clients ADD COLUMN IF NOT EXISTS phone VARCHAR;
ALTER TABLE clients ADD COLUMN IF NOT EXISTS address VARCHAR;   -- street and number
ALTER TABLE clients ADD COLUMN IF NOT EXISTS postcode VARCHAR;
ALTER TABLE clients ADD COLUMN IF NOT EXISTS city VARCHAR;

CREATE TABLE IF NOT EXISTS invoices (
    invoice_id         VARCHAR        NOT NULL,
    client_id          VARCHAR        NOT NULL,
    invoice_date       DATE           NOT NULL,
    due_date           DATE           NOT NULL,
    due_date_source    VARCHAR        NOT NULL,  -- file / client_term / default_30_days
    amount             DECIMAL(18, 2) NOT NULL,  -- credit notes negative
    credits_invoice_id VARCHAR,                  -- the invoice a credit note corrects
    currency           VARCHAR        NOT NULL DEFAULT 'EUR',
    disputed           BOOLEAN        NOT NULL DEFAULT false,
    source_load        INTEGER
);

-- the payment reference (betalingskenmerk) an e-invoice asks the client to quote
ALTER TABLE invoices ADD COLUMN IF NOT EXISTS payment_reference VARCHAR;

CREATE TABLE IF NOT EXISTS payments (
    payment_id  VARCHAR        NOT NULL,
    client_id   VARCHAR        NOT NULL,
    invoice_id  VARCHAR,                   -- NULL = unallocated
    paid_date   DATE           NOT NULL,
    amount      DECIMAL(18, 2) NOT NULL,
    source_load INTEGER
);

CREATE TABLE IF NOT EXISTS contacts (
    contact_id      VARCHAR   NOT NULL,
    client_id       VARCHAR   NOT NULL,
    invoice_id      VARCHAR,
    contact_at      TIMESTAMP NOT NULL,
    channel         VARCHAR,   -- email / phone / letter / post
    kind            VARCHAR   NOT NULL,
    promised_date   DATE,
    promised_amount DECIMAL(18, 2),
    note            VARCHAR,
    source_load     INTEGER
);

-- Payment plans (betalingsregelingen): the instalments of a payment_plan contact, each a
-- date and an amount, in order; the plan covers the client's invoices that were open when
-- it was agreed (payment_plan_at says which instalments are paid, pending or broken).
CREATE TABLE IF NOT EXISTS plan_instalments (
    contact_id  VARCHAR        NOT NULL,   -- the payment_plan contact it was agreed in
    number      INTEGER        NOT NULL,   -- 1, 2, 3, ... in date order
    due_date    DATE           NOT NULL,
    amount      DECIMAL(18, 2) NOT NULL,
    source_load INTEGER
);

-- Contacts taken back (a call on the wrong client, a promise with the wrong date): the row
-- as it was, with who withdrew it, when and why. Views read `contacts` only, so a withdrawn
-- contact no longer moves the ladder; nothing is deleted without a trace.
CREATE TABLE IF NOT EXISTS withdrawn_contacts (
    contact_id       VARCHAR   NOT NULL,
    client_id        VARCHAR   NOT NULL,
    invoice_id       VARCHAR,
    contact_at       TIMESTAMP NOT NULL,
    channel          VARCHAR,
    kind             VARCHAR   NOT NULL,
    promised_date    DATE,
    promised_amount  DECIMAL(18, 2),
    note             VARCHAR,
    source_load      INTEGER,
    withdrawn_at     TIMESTAMP NOT NULL,
    withdrawn_by     VARCHAR   NOT NULL,
    withdrawn_reason VARCHAR
);

-- Incoming bank transactions and reversals of them from loaded statements (CAMT.053,
-- MT940), each once however often overlapping statements repeat it, with how it was
-- matched. booking_date is the bank's booking (entry) date, value_date the interest date.
CREATE TABLE IF NOT EXISTS bank_transactions (
    transaction_id    VARCHAR        NOT NULL,  -- the bank's reference, else a content hash
    account           VARCHAR,                  -- our account (IBAN) the money came into
    booking_date      DATE           NOT NULL,
    amount            DECIMAL(18, 2) NOT NULL,
    counterparty_name VARCHAR,
    counterparty_iban VARCHAR,
    remittance        VARCHAR,                  -- the payment's description
    match_rule        VARCHAR        NOT NULL,  -- reference / client_amount / client_only /
                                                -- paid_twice / already_recorded / unmatched /
                                                -- reversal / reversal_unmatched
    client_id         VARCHAR,
    invoice_ids       VARCHAR,                  -- the invoices it was allocated to
    note              VARCHAR,                  -- why, in words
    source_load       INTEGER
);
-- added with reversals (models version 18); older ledgers gain them on opening
ALTER TABLE bank_transactions ADD COLUMN IF NOT EXISTS value_date DATE;
ALTER TABLE bank_transactions ADD COLUMN IF NOT EXISTS currency VARCHAR;
ALTER TABLE bank_transactions ADD COLUMN IF NOT EXISTS reversal BOOLEAN DEFAULT false;
ALTER TABLE bank_transactions ADD COLUMN IF NOT EXISTS end_to_end VARCHAR;
-- the incoming transaction a reversal (storno, return) takes back
ALTER TABLE bank_transactions ADD COLUMN IF NOT EXISTS reverses VARCHAR;

-- Bank accounts seen paying a client's invoices (learned from matched payments).
CREATE TABLE IF NOT EXISTS client_bank_accounts (
    client_id    VARCHAR NOT NULL,
    iban         VARCHAR NOT NULL,
    learned_from VARCHAR  -- the transaction that showed it
);

-- The receivable index (see core/00_receivable_index.sql): stored copies of the
-- *_live views, rebuilt by every load. Not part of the contract; never edit.
CREATE TABLE IF NOT EXISTS receivable_span (
    invoice_id   VARCHAR,
    client_id    VARCHAR,
    invoice_date DATE,
    due_date     DATE,
    amount       DECIMAL(18, 2),
    disputed     BOOLEAN,
    paid_up_on   DATE,
    active_until DATE,
    queue_rank   BIGINT
);
CREATE TABLE IF NOT EXISTS receivable_money (
    invoice_id     VARCHAR,
    client_id      VARCHAR,
    invoice_date   DATE,
    invoice_amount DECIMAL(18, 2),
    active_until   DATE,
    allocated_on   DATE,
    amount         DECIMAL(18, 2)
);
CREATE TABLE IF NOT EXISTS receivable_credit (
    client_id   VARCHAR,
    credited_on DATE,
    amount      DECIMAL(18, 2),
    linked_from DATE
);
CREATE TABLE IF NOT EXISTS receivable_month_end (
    as_of        DATE,
    client_id    VARCHAR,
    item_type    VARCHAR,
    invoice_date DATE,
    due_date     DATE,
    outstanding  DECIMAL(18, 2)
);
