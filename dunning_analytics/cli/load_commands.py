"""The commands that bring data in or make a ledger: load, bank, share, presets, demo."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dunning_analytics.cli.arguments import mapping_pairs
from dunning_analytics.common.formatting import format_date, plain_frame
from dunning_analytics.common.messages import current_lang, tr
from dunning_analytics.ledger import LedgerError

SHOWN_REJECTIONS = 50


def _print_rejections(rejections) -> None:
    for rejection in rejections[:SHOWN_REJECTIONS]:
        print(f"  {rejection}")
    if len(rejections) > SHOWN_REJECTIONS:
        print(tr("  ... and {n} more", n=len(rejections) - SHOWN_REJECTIONS))


def load_xaf_command(args: argparse.Namespace) -> int:
    """An XAF auditfile: its clients, invoices and payments in one transaction."""
    from dunning_analytics.ingest.xaf import load_xaf

    results = load_xaf(
        args.ledger,
        args.file,
        debtor_accounts=args.debtor_account,
        force=args.force,
        skip_bad_rows=args.skip_bad_rows,
        allow_far_dates=args.allow_far_dates,
        future_days=args.future_days,
    )
    parts = (tr("Clients"), tr("Invoices"), tr("Payments"))
    for part, result in zip(parts, results, strict=True):
        print(f"{part}: {result.summary()}")
        _print_rejections(result.rejections)
    return 0


def load_command(args: argparse.Namespace) -> int:
    """`load FILE`: one export, statement-free (bank statements have `bank`)."""
    from dunning_analytics.ingest.loading import load, read_mapping_file
    from dunning_analytics.ingest.xaf import is_xaf

    if is_xaf(Path(args.file)):
        return load_xaf_command(args)
    mapping = read_mapping_file(args.mapping) if args.mapping else {}
    mapping.update(mapping_pairs(args.map or []))
    result = load(
        args.ledger,
        args.file,
        kind=args.kind,
        mapping=mapping,
        date_format=args.date_format,
        decimal=args.decimal,
        skip_bad_rows=args.skip_bad_rows,
        sheet=args.sheet,
        progress=not args.quiet,
        force=args.force,
        preset=args.preset,
        export_date=args.export_date,
        accept_older=args.accept_older,
        allow_far_dates=args.allow_far_dates,
        future_days=args.future_days,
    )
    print(result.summary())
    if result.rejections:
        print(tr("Refused rows (kept in rejected_rows, load {load_id}):", load_id=result.load_id))
        _print_rejections(result.rejections)
    return 0


def bank_command(args: argparse.Namespace) -> int:
    """`bank FILES`: statements as payments, each file on its own."""
    from dunning_analytics.ingest.bank import load_statements

    results = load_statements(args.ledger, args.files, force=args.force)
    refused = [(path, error) for path, error in results if isinstance(error, Exception)]
    for _, outcome in results:
        if isinstance(outcome, Exception):
            print(tr("refused: {reason}", reason=outcome), file=sys.stderr)
        else:
            print(outcome.summary())
    if len(results) > 1:
        names = ", ".join(p.name for p, _ in refused)
        print(
            tr("{loaded} of {n} files loaded", loaded=len(results) - len(refused), n=len(results))
            + (tr("; refused: {names}", names=names) if refused else "")
        )
    return 1 if refused else 0


def share_command(args: argparse.Namespace) -> int:
    """`share`: a pseudonymised copy, or the alias list."""
    from dunning_analytics.common.vocabulary import shown_frame
    from dunning_analytics.ledger.privacy import alias_table, key_path, pseudonymised_copy

    if args.aliases:
        print(plain_frame(shown_frame(alias_table(args.ledger))).to_string(index=False))
        return 0
    if not args.out:
        raise LedgerError(tr("share needs --out FILE for the copy (or --aliases)"))
    out = pseudonymised_copy(args.ledger, args.out, force=args.force)
    print(
        tr(
            "Wrote {out}: clients under aliases, free text about people left out. "
            "The key stays in {key}; do not share it.",
            out=out,
            key=key_path(args.ledger),
        )
    )
    return 0


def presets_command(args: argparse.Namespace) -> int:
    """`presets`: what each package's export holds, or one preset's TOML."""
    from dunning_analytics.ingest.presets import available_presets, load_preset

    if args.show:
        print(load_preset(args.show).path.read_text(encoding="utf-8"), end="")
        return 0
    either = tr(" or ")
    for key in available_presets():
        preset = load_preset(key)
        print(f"{key}: {preset.name}, {preset.file}")
        if preset.menu:
            print(tr("  Export: {menu}", menu=preset.menu))
        columns = ", ".join(either.join(names) for names in preset.columns.values())
        print(tr("  Columns it expects: {columns}", columns=columns))
        if preset.optional:
            optional = ", ".join(either.join(names) for names in preset.optional.values())
            print(tr("  Read when present: {columns}", columns=optional))
        for text in preset.limits:
            print(tr("  Cannot tell: {text}", text=text))
        print()
    print(tr("Load with: dunning-analytics load FILE --preset KEY"))
    print(tr("Show one to copy and adapt: dunning-analytics presets --show KEY > my_export.toml"))
    return 0


def demo_command(args: argparse.Namespace) -> int:
    """`demo`: the deterministic demo ledger, never over an existing file unasked."""
    from dunning_analytics.ledger.demo import write_demo_ledger

    path = Path(args.ledger)
    if path.exists() and not args.replace:
        print(tr("{path} exists; use --replace to build it again.", path=path), file=sys.stderr)
        return 1
    if path.exists():
        path.unlink()
    counts = write_demo_ledger(
        path,
        clients=args.clients,
        seed=args.seed,
        end=args.end,
        invoices=args.invoices,
        progress=not args.quiet,
    )
    print(
        tr(
            "Demo ledger {path}: {clients} clients, {invoices} invoices, {payments} payments, "
            "{contacts} contacts, up to {end}.",
            path=path,
            end=format_date(args.end, current_lang()),
            **counts,
        )
    )
    return 0
