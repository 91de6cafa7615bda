"""The `dealgate` command line. Every read command takes --json; errors use the one shape."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy import Engine

from dealgate import render
from dealgate.cli_remedies import with_move_options
from dealgate.cli_support import (
    actor,
    emit_json,
    errors_as_shape,
    import_progress,
    now,
    parse_amount,
    parse_as_of,
    parse_author,
    parse_date,
)
from dealgate.domain.access import parse_user_role
from dealgate.domain.audit import has_errors
from dealgate.domain.commitment import parse_party, parse_status
from dealgate.domain.errors import DealgateError, invalid
from dealgate.domain.interaction import parse_interaction_kind
from dealgate.domain.process_change import parse_moves
from dealgate.domain.stakeholder import parse_role
from dealgate.extract import extract
from dealgate.io import readers
from dealgate.io.readers import (
    check_owner_users,
    load_owner_mapping,
    load_stage_mapping,
    suggest_mapping,
)
from dealgate.io.spreadsheets import is_workbook, workbook_to_csv
from dealgate.services import coaching as coaching_svc
from dealgate.services import deals as svc
from dealgate.services import exporting, views
from dealgate.services import review as review_svc
from dealgate.services import users as users_svc
from dealgate.services import webhooks as hooks_svc
from dealgate.services.demo import DEMO_ADMIN, DEMO_PASSWORD, demo_users, fill_demo
from dealgate.services.importing import COMMIT_ROWS, run_import
from dealgate.services.setup import init_database, process_loads
from dealgate.services.transfer import transfer_deals
from dealgate.services.webhooks import change_context
from dealgate.store.db import make_engine, schema_state

app = typer.Typer(
    help="dealgate: a pipeline where a deal advances only on the buyer's commitment.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
process_app = typer.Typer(
    help="The sales process: stages, exit menus, rungs.", no_args_is_help=True
)
deal_app = typer.Typer(help="Deals.", no_args_is_help=True)
stakeholder_app = typer.Typer(help="The buying committee of a deal.", no_args_is_help=True)
commit_app = typer.Typer(help="Commitments: the buyer's and the seller's.", no_args_is_help=True)
interaction_app = typer.Typer(help="Meetings, calls and emails.", no_args_is_help=True)
app.add_typer(process_app, name="process")
app.add_typer(deal_app, name="deal")
app.add_typer(stakeholder_app, name="stakeholder")
app.add_typer(commit_app, name="commit")
app.add_typer(interaction_app, name="interaction")
user_app = typer.Typer(help="Users, roles and API tokens.", no_args_is_help=True)
webhook_app = typer.Typer(help="Webhooks: signed deliveries of deal events.", no_args_is_help=True)
import_app = typer.Typer(
    help="Import a Salesforce, HubSpot, Pipedrive or CSV export.", no_args_is_help=True
)
app.add_typer(import_app, name="import")
app.add_typer(user_app, name="user")
app.add_typer(webhook_app, name="webhook")


def _console() -> Console:
    # Piped output gets a wide table rather than Rich's 80-column default.
    return Console() if sys.stdout.isatty() else Console(width=160)


JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


class State:
    db: str | None = None
    _engine: Engine | None = None

    @classmethod
    def engine(cls) -> Engine:
        if cls._engine is None:
            cls._engine = make_engine(cls.db)
        return cls._engine


@app.callback()
def main_options(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Database URL (default: DEALGATE_DATABASE_URL or sqlite:///dealgate.db).",
        ),
    ] = None,
) -> None:
    State.db = db
    State._engine = None


# --- setup --------------------------------------------------------------------------------------


@app.command()
def init(
    process: Annotated[
        Path | None, typer.Option("--process", help="A process TOML file (default: shipped).")
    ] = None,
    move: Annotated[
        list[str] | None,
        typer.Option(
            "--move",
            help="OLD=NEW: the open deals of a stage the process leaves out go to NEW "
            "(repeat for each such stage deals stand in).",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create or upgrade the schema and load the process."""
    with errors_as_shape():
        try:
            result = init_database(State.engine(), now(), process, parse_moves(move or []), actor())
        except DealgateError as e:
            raise with_move_options(e, str(process) if process else None) from None
        for warning in result.warnings:
            typer.echo(f"warning: {warning}", err=True)
        change = result.change
        if as_json:
            emit_json(
                {
                    "process": result.process.name,
                    "loaded": result.loaded,
                    "warnings": result.warnings,
                    "moves": change.moves,
                    "deals_moved": change.moving,
                }
            )
            return
        state = "loaded" if result.loaded else "already active"
        out = _console()
        out.print(f"Database ready; process [bold]{result.process.name}[/] {state}.")
        for line in change.told():
            out.print(escape(line))


@app.command()
def demo(
    seed: Annotated[int, typer.Option(help="Random seed for the demo pipeline.")] = 7,
    as_json: JsonOpt = False,
) -> None:
    """Fill an empty database with a realistic demo pipeline."""
    with errors_as_shape():
        created = fill_demo(State.engine(), now(), seed=seed)
        users = demo_users(State.engine(), now()) if created else []
        if as_json:
            emit_json({"created": created, "users": users})
            return
        if created:
            _console().print(f"Demo pipeline created: {created} deals.")
        else:
            _console().print("The database already holds deals; the demo was not added.")
        if users:
            reps = [u for u in users if u not in ("maria", DEMO_ADMIN)]
            _console().print(
                f"Log in to the pages as maria (manager), {', '.join(reps)} (reps) or "
                f"{DEMO_ADMIN} (admin: imports), password [bold]{DEMO_PASSWORD}[/]."
            )


@process_app.command("show")
def process_show(as_json: JsonOpt = False) -> None:
    """Stages, exit menus and rungs of the active process."""
    with errors_as_shape():
        process = svc.active_process(State.engine())
        if as_json:
            emit_json(views.process_view(process))
        else:
            render.process(_console(), process)


@process_app.command("history")
def process_history(as_json: JsonOpt = False) -> None:
    """Every load of a process, newest first: when, by whom, the stages it left out."""
    with errors_as_shape():
        loads = process_loads(State.engine())
        if as_json:
            emit_json([views.load_view(load) for load in loads])
        else:
            render.process_loads(_console(), loads)


# --- deals --------------------------------------------------------------------------------------


@deal_app.command("add")
def deal_add(
    name: str,
    account: Annotated[str, typer.Option(help="The buying company.")],
    owner: Annotated[str, typer.Option(help="The rep who owns the deal.")],
    stage: Annotated[str | None, typer.Option(help="Start stage (default: the first).")] = None,
    amount: Annotated[str | None, typer.Option(help="Deal value.")] = None,
    close_date: Annotated[str | None, typer.Option(help="Expected close, YYYY-MM-DD.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a deal; prints its id."""
    with errors_as_shape():
        deal = svc.open_deal(
            State.engine(),
            now=now(),
            actor=actor(),
            name=name,
            account=account,
            owner=owner,
            stage=stage,
            amount=parse_amount(amount),
            close_date=parse_date(close_date, "close_date"),
        )
        if as_json:
            emit_json(views.deal_summary(deal))
        else:
            typer.echo(deal.id)


@deal_app.command("list")
def deal_list(
    stage: Annotated[str | None, typer.Option(help="Only deals in this stage.")] = None,
    owner: Annotated[str | None, typer.Option(help="Only deals of this rep.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List deals with the gate's verdict for each."""
    with errors_as_shape():
        process, deals = svc.list_deals(State.engine(), stage=stage, owner=owner)
        if as_json:
            emit_json(
                [{**views.deal_summary(d), "can_advance": d.can_advance(process)} for d in deals]
            )
        else:
            render.deal_list(_console(), process, deals, now())


@deal_app.command("show")
def deal_show(deal_id: int, as_json: JsonOpt = False) -> None:
    """A deal: committee, commitments, interactions, stage history and the gate's verdict."""
    with errors_as_shape():
        detail = svc.get_deal(State.engine(), deal_id)
        if as_json:
            emit_json(views.deal_detail(detail.deal, detail.process, detail.verdict))
        else:
            render.deal_detail(_console(), detail, now())


@deal_app.command("transfer")
def deal_transfer(
    from_owner: Annotated[str, typer.Option("--from", help="The owner whose deals to give.")],
    to_user: Annotated[str, typer.Option("--to", help="The dealgate user to give them to.")],
    open_only: Annotated[
        bool, typer.Option("--open-only", help="Leave won and lost deals with their owner.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Give every deal of one owner to a user (an imported owner who is no user, a rep who left)."""
    with errors_as_shape():
        done = transfer_deals(
            State.engine(),
            from_owner=from_owner,
            to_user=to_user,
            now=now(),
            actor=actor(),
            open_only=open_only,
        )
        if as_json:
            emit_json(
                {
                    "from": done.from_owner,
                    "to": done.to_user,
                    "deals": done.deals,
                    "closed_kept": done.closed_kept,
                }
            )
        else:
            kept = f" ({done.closed_kept} closed ones kept)" if done.closed_kept else ""
            typer.echo(f"Gave {done.deals} deals of {done.from_owner} to {done.to_user}{kept}.")


@deal_app.command("note")
def deal_note(
    deal_id: int,
    dissatisfaction: Annotated[
        str, typer.Option(help="What the buyer is dissatisfied with today, in their words.")
    ],
    as_json: JsonOpt = False,
) -> None:
    """Document the buyer's dissatisfaction (a prerequisite to leave `change`)."""
    with errors_as_shape():
        engine = State.engine()
        ctx = change_context(engine, now())
        note = svc.document_dissatisfaction(
            engine, deal_id, dissatisfaction, now=now(), actor=actor(), ctx=ctx
        )
        if as_json:
            emit_json({"text": note.text, "at": views.iso(note.at)})
        else:
            _console().print("Dissatisfaction documented.")


# --- committee, commitments, interactions ------------------------------------------------------


@stakeholder_app.command("add")
def stakeholder_add(
    deal_id: int,
    name: str,
    role: Annotated[str, typer.Option(help="economic_buyer, champion, decision_maker, ...")],
    title: Annotated[str | None, typer.Option(help="Job title.")] = None,
    notes: Annotated[str | None, typer.Option(help="Their preferences, in free text.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a person of the buying committee."""
    with errors_as_shape():
        engine = State.engine()
        ctx = change_context(engine, now())
        person = svc.add_stakeholder(
            engine,
            deal_id,
            now=now(),
            actor=actor(),
            name=name,
            role=parse_role(role),
            title=title,
            notes=notes,
            ctx=ctx,
        )
        if as_json:
            emit_json(views.stakeholder_view(person))
        else:
            typer.echo(person.number)


@stakeholder_app.command("set")
def stakeholder_set(
    deal_id: int,
    number: int,
    name: Annotated[
        str | None, typer.Option(help="The name as it should be spelled; commitments follow.")
    ] = None,
    role: Annotated[str | None, typer.Option(help="economic_buyer, champion, ...")] = None,
    title: Annotated[str | None, typer.Option(help='Job title ("" clears it).')] = None,
    notes: Annotated[str | None, typer.Option(help='Preferences ("" clears them).')] = None,
    as_json: JsonOpt = False,
) -> None:
    """Correct a stakeholder as you learn the committee: role, title, notes or name."""
    with errors_as_shape():
        if name is None and role is None and title is None and notes is None:
            raise invalid("nothing_to_change", "Give --name, --role, --title or --notes.", "name")
        engine = State.engine()
        ctx = change_context(engine, now())
        person = svc.change_stakeholder(
            engine,
            deal_id,
            number,
            now=now(),
            actor=actor(),
            name=name,
            role=parse_role(role) if role is not None else None,
            title=title,
            notes=notes,
            ctx=ctx,
        )
        if as_json:
            emit_json(views.stakeholder_view(person))
        else:
            _console().print(f"Stakeholder {person.number}: {person.name} ({person.role.value}).")


@commit_app.command("add")
def commit_add(
    deal_id: int,
    party: Annotated[str, typer.Option(help="buyer or seller: who made the promise.")],
    action: Annotated[str, typer.Option(help="What they will do, in a few words.")],
    kind: Annotated[str | None, typer.Option(help="Catalogue kind (buyer side).")] = None,
    who: Annotated[str | None, typer.Option(help="The person who committed.")] = None,
    due: Annotated[str | None, typer.Option(help="Due date, YYYY-MM-DD.")] = None,
    status: Annotated[str, typer.Option(help="asked, obtained or kept.")] = "obtained",
    interaction: Annotated[
        int | None, typer.Option(help="Number of the interaction that produced it.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a commitment; prints its number on the deal."""
    with errors_as_shape():
        engine = State.engine()
        ctx = change_context(engine, now())
        commitment = svc.add_commitment(
            engine,
            deal_id,
            now=now(),
            actor=actor(),
            party=parse_party(party),
            action=action,
            kind=kind,
            person=who,
            due=parse_date(due, "due"),
            status=parse_status(status),
            interaction=interaction,
            ctx=ctx,
        )
        if as_json:
            emit_json(views.commitment_view(commitment))
        else:
            typer.echo(commitment.number)


@commit_app.command("set")
def commit_set(
    deal_id: int,
    commitment_id: int,
    status: Annotated[str, typer.Option(help="obtained, declined, kept, broken, withdrawn.")],
    as_json: JsonOpt = False,
) -> None:
    """Move a commitment along its lifecycle."""
    with errors_as_shape():
        commitment = svc.set_commitment_status(
            State.engine(), deal_id, commitment_id, parse_status(status), now=now(), actor=actor()
        )
        if as_json:
            emit_json(views.commitment_view(commitment))
        else:
            _console().print(f"Commitment {commitment.number} is now {commitment.status.value}.")


@commit_app.command("confirm")
def commit_confirm(
    deal_id: int,
    commitment_id: int,
    who: Annotated[
        str | None,
        typer.Option(
            "--who",
            help="Who on the buyer's side made it (a stakeholder), when the text named no one "
            "the committee holds: the gate needs a named person.",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Confirm an inferred commitment: it becomes evidence."""
    with errors_as_shape():
        engine = State.engine()
        ctx = change_context(engine, now())
        c = svc.confirm_commitment(
            engine, deal_id, commitment_id, now=now(), actor=actor(), ctx=ctx, person=who
        )
        if as_json:
            emit_json(views.commitment_view(c))
        else:
            _console().print(f"Commitment {c.number} confirmed: {c.status.value}.")


@commit_app.command("name")
def commit_name(
    deal_id: int,
    commitment_id: int,
    who: Annotated[str, typer.Option("--who", help="The stakeholder who made it.")],
    as_json: JsonOpt = False,
) -> None:
    """Name who on the buyer's side made a recorded commitment that names no one on the
    committee: the gate takes only a named stakeholder's commitment."""
    with errors_as_shape():
        engine = State.engine()
        ctx = change_context(engine, now())
        c = svc.name_who_committed(
            engine, deal_id, commitment_id, who, now=now(), actor=actor(), ctx=ctx
        )
        if as_json:
            emit_json(views.commitment_view(c))
        else:
            _console().print(f"Commitment {c.number} is {c.person}'s.")


@commit_app.command("reject")
def commit_reject(deal_id: int, commitment_id: int, as_json: JsonOpt = False) -> None:
    """Reject an inferred commitment: the note did not mean it."""
    with errors_as_shape():
        engine = State.engine()
        ctx = change_context(engine, now())
        c = svc.reject_commitment(engine, deal_id, commitment_id, now=now(), actor=actor(), ctx=ctx)
        if as_json:
            emit_json(views.commitment_view(c))
        else:
            _console().print(f"Commitment {c.number} rejected.")


@app.command("extract")
def extract_command(
    author: Annotated[str, typer.Option(help="seller (CRM notes) or buyer (their emails).")] = (
        "seller"
    ),
    written: Annotated[
        str | None, typer.Option("--date", help="When the text was written (default: today).")
    ] = None,
    as_json: JsonOpt = True,
) -> None:
    """Read lines (or JSON lines with a `text` field) on stdin; write their commitments."""
    with errors_as_shape():
        who = parse_author(author)
        on = parse_date(written, "date") or now().date()
        for number, line in enumerate(sys.stdin, start=1):
            text = line.rstrip("\n")
            if not text.strip():
                continue
            line_author = who
            if text.lstrip().startswith("{"):
                try:
                    row = json.loads(text)
                except json.JSONDecodeError as e:
                    raise invalid(
                        "invalid_json", f"Line {number} is not valid JSON ({e.msg}).", "stdin"
                    ) from None
                if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                    raise invalid(
                        "invalid_json", f'Line {number} needs a "text" string field.', "stdin"
                    )
                text = row["text"]
                line_author = parse_author(str(row.get("author", who)))
            found = [c.to_dict() for c in extract(text, line_author, on)]
            typer.echo(json.dumps({"text": text, "commitments": found}))


@interaction_app.command("add")
def interaction_add(
    deal_id: int,
    kind: Annotated[str, typer.Option(help="meeting, call, email or note.")],
    date: Annotated[str, typer.Option(help="When it happened, YYYY-MM-DD.")],
    summary: Annotated[str, typer.Option(help="What happened.")],
    declined: Annotated[
        bool, typer.Option("--declined", help="The client declined outright.")
    ] = False,
    author: Annotated[
        str, typer.Option(help="Who wrote the summary: seller (a note) or buyer (their email).")
    ] = "seller",
    extract_commitments: Annotated[
        bool,
        typer.Option("--extract/--no-extract", help="Propose the commitments the summary names."),
    ] = True,
    as_json: JsonOpt = False,
) -> None:
    """Log a meeting, call or email; prints its number and the commitments it proposes."""
    with errors_as_shape():
        on = parse_date(date, "date")
        assert on is not None
        engine = State.engine()
        ctx = change_context(engine, now())
        logged = svc.add_interaction(
            engine,
            deal_id,
            now=now(),
            actor=actor(),
            kind=parse_interaction_kind(kind),
            on=on,
            summary=summary,
            client_declined=declined,
            infer=extract_commitments,
            author=parse_author(author),
            ctx=ctx,
        )
        if as_json:
            emit_json(
                {
                    **views.interaction_view(logged.interaction, logged.outcome),
                    "inferred": [views.commitment_view(c) for c in logged.proposed],
                }
            )
        else:
            typer.echo(logged.interaction.number)
            for c in logged.proposed:
                what = f"{c.kind} ({c.party.value})" if c.kind else f"{c.party.value} promise"
                typer.echo(
                    f"inferred commitment {c.number}: {what}: {c.source}; confirm with "
                    f"`dealgate commit confirm {deal_id} {c.number}`",
                    err=True,
                )


# --- moving deals -------------------------------------------------------------------------------


@app.command()
def advance(
    deal_id: int,
    to: Annotated[str | None, typer.Option(help="Target stage (default: the next).")] = None,
    override: Annotated[
        str | None, typer.Option(help="Manager override: the written reason.")
    ] = None,
    as_user: Annotated[
        str | None, typer.Option("--as", help="The manager overriding (with --override).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Move a deal forward when the buyer's commitment allows it; prints the new stage."""
    with errors_as_shape(deal_id):
        if override is not None and not as_user:
            raise invalid(
                "override_needs_manager",
                "An override is recorded against a manager: add `--as MANAGER`.",
                "as",
            )
        engine = State.engine()
        ctx = change_context(engine, now())
        deal, move = svc.advance(
            engine,
            deal_id,
            now=now(),
            actor=as_user or actor(),
            to=to,
            override_reason=override,
            ctx=ctx,
        )
        if as_json:
            emit_json({**views.deal_summary(deal), "overridden": move.overridden})
        else:
            typer.echo(deal.stage)


@app.command()
def close(
    deal_id: int,
    won: Annotated[bool, typer.Option("--won", help="Close as won (passes the gate).")] = False,
    lost: Annotated[bool, typer.Option("--lost", help="Close as lost (needs --reason).")] = False,
    reason: Annotated[str | None, typer.Option(help="Why it was lost.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Close a deal as won or lost."""
    with errors_as_shape(deal_id):
        if won == lost:
            raise invalid("won_or_lost", "Give exactly one of --won and --lost.", "won")
        engine = State.engine()
        ctx = change_context(engine, now())
        if won:
            deal, _ = svc.close_won(engine, deal_id, now=now(), actor=actor(), ctx=ctx)
        else:
            deal, _ = svc.close_lost(
                engine, deal_id, reason or "", now=now(), actor=actor(), ctx=ctx
            )
        if as_json:
            emit_json(views.deal_summary(deal))
        else:
            typer.echo(deal.stage)


# --- review, audit, coaching ---------------------------------------------------------------


@app.command("review")
def review_command(
    as_of: Annotated[
        str | None,
        typer.Option(help="Review as of this date (default: now): the deals as they were then."),
    ] = None,
    owner: Annotated[str | None, typer.Option(help="Only this rep's deals.")] = None,
    flag: Annotated[str | None, typer.Option(help="Only deals with this flag.")] = None,
    since: Annotated[
        str | None,
        typer.Option(help="Instead, what changed since the end of this date: flags come and gone."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Pipeline health: which deals are stalled, unevidenced, seller-only, ..."""
    with errors_as_shape():
        if since is not None:
            if as_of is not None or flag is not None:
                raise invalid(
                    "conflicting_options",
                    "--since compares that day with now; leave out --as-of and --flag.",
                    "since",
                )
            changes = review_svc.review_since(
                State.engine(), parse_as_of(since), now(), owner=owner
            )
            if as_json:
                emit_json(views.review_changes_view(changes))
            else:
                render.review_changes(_console(), changes)
            return
        current = now()  # once: a default as-of a microsecond before now would rewind
        result = review_svc.review(
            State.engine(), parse_as_of(as_of, current), owner=owner, flag=flag, now=current
        )
        if as_json:
            emit_json(views.review_view(result))
        else:
            render.review(_console(), result)


@app.command("audit")
def audit_command(
    file: Annotated[
        Path | None, typer.Argument(help="A process file (default: the loaded one).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Audit a process definition; exits 1 when it finds errors."""
    with errors_as_shape():
        process, findings = coaching_svc.audit(None if file else State.engine(), file)
        if as_json:
            emit_json(
                {"process": process.name, "findings": [views.finding_view(f) for f in findings]}
            )
        else:
            render.audit(_console(), process, findings)
    if has_errors(findings):
        raise typer.Exit(1)


@app.command("coach")
def coach_command(
    deal_id: Annotated[int | None, typer.Argument(help="The deal to coach.")] = None,
    rep: Annotated[str | None, typer.Option(help="Coach a rep instead of a deal.")] = None,
    since: Annotated[str | None, typer.Option(help="With --rep: from this date.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """What to ask a deal's buyer for next, or how a rep gains commitments."""
    with errors_as_shape():
        if (deal_id is None) == (rep is None):
            raise invalid("deal_or_rep", "Give a deal id or --rep USER, not both.", "deal")
        if rep is not None:
            coaching = coaching_svc.coach_for_rep(State.engine(), rep, parse_as_of(since, None))
            if as_json:
                emit_json(views.rep_coaching_view(coaching))
            else:
                render.rep_coaching(_console(), coaching)
            return
        assert deal_id is not None
        deal, advice = coaching_svc.coach_for_deal(State.engine(), deal_id)
        if as_json:
            emit_json(views.deal_coaching_view(advice))
        else:
            render.deal_coaching(_console(), deal, advice)


# --- imports ----------------------------------------------------------------------------------

MappingOpt = Annotated[
    Path | None, typer.Option("--mapping", help="Stage mapping TOML: their stage = our stage.")
]
SuggestOpt = Annotated[
    Path | None,
    typer.Option("--suggest-mapping", help="Write a starting stage mapping to this file and stop."),
]
AsOfOpt = Annotated[
    str | None, typer.Option("--as-of", help="Date next steps were written (default: today).")
]
CommitOpt = Annotated[
    int | None,
    typer.Option(
        "--commit-every",
        help="Rows per transaction (default 50,000, and at least once a second): fewer lose "
        "less to a crash and hold the database for less time, more import faster.",
    ),
]


def _run_import(
    source: str,
    data: Any,
    mapping: Path | None,
    suggest: Path | None,
    as_of: str | None,
    as_json: bool,
    commit_every: int | None = None,
) -> None:
    engine = State.engine()
    if commit_every is not None and commit_every < 1:
        raise invalid(
            "invalid_commit_every",
            "--commit-every takes a number of rows of 1 or more.",
            "commit_every",
        )
    process = svc.active_process(engine)
    keys = list(process.stage_keys)
    if suggest is not None:
        text = suggest_mapping(
            data.stage_names, process, data.owner_names, users_svc.user_names(engine)
        )
        suggest.write_text(text, encoding="utf-8")
        typer.echo(
            f"Wrote a starting mapping for {len(data.stage_names)} stage names and "
            f"{len(data.owner_names)} deal owners to {suggest}."
        )
        return
    if mapping is None:
        raise invalid(
            "mapping_required",
            "An import needs --mapping FILE (their stage = our stage); "
            "--suggest-mapping FILE writes a starting one.",
            "mapping",
        )
    stages = load_stage_mapping(mapping, keys)
    owners = load_owner_mapping(mapping)
    check_owner_users(owners, users_svc.user_names(engine), str(mapping))
    written = parse_date(as_of, "as_of")
    with import_progress(not as_json, data.files) as tick:
        summary = run_import(
            engine,
            source,
            data,
            stages,
            now=now(),
            as_of=written,
            tick=tick,
            commit_every=commit_every or COMMIT_ROWS,
            owners=owners,
        )
    if as_json:
        emit_json(summary.to_dict())
    else:
        render.import_summary(_console(), summary)


@import_app.command("salesforce")
def import_salesforce(
    directory: Annotated[
        Path,
        typer.Argument(
            help="Folder with Opportunity.csv and friends, an opportunities report's file, or "
            "a Data Export's ZIP."
        ),
    ],
    mapping: MappingOpt = None,
    suggest: SuggestOpt = None,
    as_of: AsOfOpt = None,
    as_json: JsonOpt = False,
    commit_every: CommitOpt = None,
) -> None:
    """Opportunities, their history, contact roles, tasks and events from a Salesforce export:
    a folder, an opportunities report, or the ZIP of a Data Export."""
    with errors_as_shape(), tempfile.TemporaryDirectory(prefix="dealgate-") as unpacked:
        if directory.suffix.lower() == ".zip" and directory.is_file():
            with directory.open("rb") as archive:
                readers.unpack_salesforce_zip(archive, directory.name, Path(unpacked), None)
            directory = Path(unpacked)
        directory = _as_csv(directory, Path(unpacked))
        _run_import(
            "salesforce",
            readers.salesforce(directory),
            mapping,
            suggest,
            as_of,
            as_json,
            commit_every,
        )


def _as_csv(path: Path, folder: Path) -> Path:
    """An export saved as an Excel workbook, as the CSV the readers take, written in
    `folder`; any other path as it is."""
    if not (path.is_file() and is_workbook(path.name)):
        return path
    target = folder / f"{path.stem}.csv"
    workbook_to_csv(path, path.name, target)
    return target


@import_app.command("hubspot")
def import_hubspot(
    file: Path,
    mapping: MappingOpt = None,
    suggest: SuggestOpt = None,
    as_of: AsOfOpt = None,
    as_json: JsonOpt = False,
    commit_every: CommitOpt = None,
) -> None:
    """A HubSpot deals export."""
    with errors_as_shape(), tempfile.TemporaryDirectory(prefix="dealgate-") as converted:
        data = readers.hubspot(_as_csv(file, Path(converted)))
        _run_import("hubspot", data, mapping, suggest, as_of, as_json, commit_every)


@import_app.command("pipedrive")
def import_pipedrive(
    file: Path,
    mapping: MappingOpt = None,
    suggest: SuggestOpt = None,
    as_of: AsOfOpt = None,
    as_json: JsonOpt = False,
    commit_every: CommitOpt = None,
) -> None:
    """A Pipedrive deals export."""
    with errors_as_shape(), tempfile.TemporaryDirectory(prefix="dealgate-") as converted:
        data = readers.pipedrive(_as_csv(file, Path(converted)))
        _run_import("pipedrive", data, mapping, suggest, as_of, as_json, commit_every)


@import_app.command("csv")
def import_csv(
    file: Path,
    columns: Annotated[Path, typer.Option("--columns", help="Column mapping TOML.")],
    mapping: MappingOpt = None,
    suggest: SuggestOpt = None,
    as_of: AsOfOpt = None,
    as_json: JsonOpt = False,
    commit_every: CommitOpt = None,
) -> None:
    """Any CRM's CSV, with a column mapping file."""
    with errors_as_shape(), tempfile.TemporaryDirectory(prefix="dealgate-") as converted:
        spec = readers.load_columns(columns)
        _run_import(
            spec["source"],
            readers.single_file(_as_csv(file, Path(converted)), spec),
            mapping,
            suggest,
            as_of,
            as_json,
            commit_every,
        )


@import_app.command("dealgate")
def import_dealgate(directory: Path, as_json: JsonOpt = False) -> None:
    """A dealgate export (csv or json), into an empty database, without loss."""
    with errors_as_shape():
        counts = exporting.import_tables(State.engine(), directory)
        if as_json:
            emit_json(counts)
        else:
            _console().print(", ".join(f"{v} {k}" for k, v in counts.items()) + " loaded.")


@app.command("export")
def export_command(
    fmt: Annotated[str, typer.Argument(metavar="csv|json|ics", help="What to write.")],
    directory: Annotated[
        Path | None, typer.Argument(help="Folder for csv and json (one file per table).")
    ] = None,
    owner: Annotated[str | None, typer.Option(help="With ics: whose commitments.")] = None,
    out: Annotated[Path | None, typer.Option(help="With ics: file (default: stdout).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Export deals, committees, commitments and events; or a calendar of buyer due dates."""
    with errors_as_shape():
        if fmt == "ics":
            if owner is None:
                raise invalid("owner_required", "An ics export needs --owner USER.", "owner")
            feed = exporting.commitments_calendar(State.engine(), owner, now())
            if out is None:
                sys.stdout.buffer.write(feed)
            else:
                out.write_bytes(feed)
            return
        if directory is None:
            raise invalid("dir_required", f"A {fmt} export needs a folder: DIR.", "dir")
        counts = exporting.export_tables(State.engine(), directory, fmt)
        if as_json:
            emit_json(counts)
        else:
            _console().print(
                ", ".join(f"{v} {k}" for k, v in counts.items()) + f" written to {directory}."
            )


# --- users, webhooks, the server ------------------------------------------------------------


@user_app.command("add")
def user_add(
    name: str,
    role: Annotated[str, typer.Option(help="rep, manager or admin.")],
    team: Annotated[str | None, typer.Option(help="The team; managers see their team.")] = None,
    password: Annotated[
        str | None, typer.Option(help="A password for the web pages (8+ characters).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a user; prints their API token once (only a hash is kept)."""
    with errors_as_shape():
        user, token = users_svc.add_user(
            State.engine(), name, parse_user_role(role), now(), team, password
        )
        if as_json:
            emit_json(
                {"name": user.name, "role": user.role.value, "team": user.team, "token": token}
            )
        else:
            typer.echo(token)
            typer.echo("Keep this token: it is shown only once.", err=True)


@user_app.command("list")
def user_list(as_json: JsonOpt = False) -> None:
    """Every user: role, team, and whether they may log in to the pages."""
    with errors_as_shape():
        listed = [
            {"name": u.name, "role": u.role.value, "team": u.team, "pages": pages}
            for u, pages in users_svc.list_users(State.engine())
        ]
        if as_json:
            emit_json(listed)
            return
        for u in listed:
            pages = "pages and API" if u["pages"] else "API only"
            typer.echo(f"{u['name']}\t{u['role']}\t{u['team'] or '-'}\t{pages}")


@user_app.command("set")
def user_set(
    name: str,
    role: Annotated[str | None, typer.Option(help="rep, manager or admin.")] = None,
    team: Annotated[str | None, typer.Option(help='The team ("" for none).')] = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a user's role or team; who sees which deals follows at once."""
    with errors_as_shape():
        user = users_svc.change_user(
            State.engine(), name, parse_user_role(role) if role else None, team
        )
        if as_json:
            emit_json({"name": user.name, "role": user.role.value, "team": user.team})
        else:
            typer.echo(f"{user.name}: {user.role.value}, team {user.team or '-'}.")


@user_app.command("remove")
def user_remove(name: str, as_json: JsonOpt = False) -> None:
    """Remove a user (their sessions and token end); their deals wait on the Owners page."""
    with errors_as_shape():
        owned = users_svc.remove_user(State.engine(), name)
        if as_json:
            emit_json({"name": name, "deals_left": owned})
        else:
            left = (
                f" Their {owned} deals are seen by admins alone until given to someone: "
                f'`dealgate deal transfer --from "{name}" --to USER`.'
                if owned
                else ""
            )
            typer.echo(f"Removed {name}.{left}")


@user_app.command("password")
def user_password(
    name: str,
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            help="The new password (8+ characters); asked for when not given.",
        ),
    ],
) -> None:
    """Set a user's password for the pages; their open sessions end."""
    with errors_as_shape():
        users_svc.set_password(State.engine(), name, password)
        typer.echo(f"Password set for {name}; their open sessions are logged out.")


@user_app.command("token")
def user_token(name: str, as_json: JsonOpt = False) -> None:
    """Issue a new API token for a user and revoke the old one."""
    with errors_as_shape():
        token = users_svc.rotate_token(State.engine(), name)
        if as_json:
            emit_json({"name": name, "token": token})
        else:
            typer.echo(token)


@user_app.command("calendar")
def user_calendar(
    name: str,
    base_url: Annotated[
        str, typer.Option(help="Where the server answers, as calendar apps reach it.")
    ] = "http://127.0.0.1:8000",
    as_json: JsonOpt = False,
) -> None:
    """Make a new calendar address for a user (the one before stops): the feeds of their
    buyers' due dates, read-only, for a calendar app to subscribe to."""
    with errors_as_shape():
        made = users_svc.new_calendar_key(State.engine(), name)
        base = base_url.rstrip("/")
        if as_json:
            feeds = [{"rep": rep, "url": base + path} for rep, path in made.feeds]
            emit_json({"name": name, "key": made.key, "feeds": feeds})
            return
        for rep, path in made.feeds:
            typer.echo(f"{rep}: {base}{path}")


@webhook_app.command("add")
def webhook_add(
    url: str,
    events: Annotated[
        str, typer.Option(help="Comma-separated: deal.advanced,deal.flagged,commitment.overdue")
    ],
    as_json: JsonOpt = False,
) -> None:
    """Register a webhook; prints the secret its deliveries are signed with."""
    with errors_as_shape():
        hook = hooks_svc.add_webhook(
            State.engine(), url, [e.strip() for e in events.split(",") if e.strip()], now()
        )
        if as_json:
            emit_json(
                {"id": hook.id, "url": hook.url, "events": list(hook.events), "secret": hook.secret}
            )
        else:
            typer.echo(hook.secret)
            typer.echo(
                f"Deliveries are signed: {hooks_svc.SIGNATURE_HEADER}: sha256=HMAC(secret, body).",
                err=True,
            )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Serve the API (and the web pages) with uvicorn."""
    import os

    import uvicorn

    with errors_as_shape():
        engine = State.engine()
        state = schema_state(engine)
        if state == "empty":
            raise invalid(
                "not_initialized",
                "The database is not set up; run `dealgate init` first.",
                "db",
                status=409,
            )
        if state == "older":
            raise invalid(
                "schema_older",
                "The database's schema is older than this dealgate's; run `dealgate init` to "
                "upgrade it (everything stored is kept).",
                "db",
                status=409,
            )
        if not users_svc.has_users(engine):
            typer.echo(
                f"No user yet: open http://{host}:{port}/login to make yourself the first "
                "admin (or run `dealgate user add NAME --role admin --password P`).",
                err=True,
            )
    os.environ["DEALGATE_DATABASE_URL"] = engine.url.render_as_string(hide_password=False)
    os.environ["DEALGATE_SERVER_WORKERS"] = str(workers)  # the workers share the connections
    uvicorn.run(
        "dealgate.api.app:create_app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
    )


def main() -> None:
    app()


if __name__ == "__main__":
    main()
