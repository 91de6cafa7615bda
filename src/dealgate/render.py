"""Rich tables and panels for the CLI's human output."""

from __future__ import annotations

from datetime import datetime

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from dealgate.cli_remedies import told_how
from dealgate.domain.audit import Finding
from dealgate.domain.coaching import DealCoaching, RepCoaching, metric_values
from dealgate.domain.deal import Deal
from dealgate.domain.process import Process
from dealgate.domain.process_change import ProcessLoad
from dealgate.services.deals import DealDetail
from dealgate.services.importing import ImportSummary
from dealgate.services.review import PipelineChanges, PipelineReview
from dealgate.services.views import money_display


def process(console: Console, p: Process) -> None:
    table = Table(title=f"Process: {escape(p.name)}")
    table.add_column("#", justify="right")
    table.add_column("stage")
    table.add_column("exits on (kind: rung)")
    table.add_column("requires")
    table.add_column("stalls after", justify="right")
    for i, s in enumerate(p.stages, start=1):
        menu = "\n".join(f"{k}: {p.kinds[k].rung.value}" for k in s.exit) or "[red](empty)[/]"
        stall = f"{s.stall_after_days} d" if s.stall_after_days else "[yellow]none[/]"
        table.add_row(
            str(i), f"{s.key}\n[dim]{escape(s.name)}[/]", menu, "\n".join(s.requires) or "-", stall
        )
    console.print(table)


def process_loads(console: Console, loads: list[ProcessLoad]) -> None:
    table = Table(title="Process loads, newest first")
    for column in ("when", "by", "process", "stages left out"):
        table.add_column(column)
    for load in loads:
        left = "\n".join(f"{old} -> {new}" for old, new in load.moves.items()) or "-"
        by = escape(load.by) if load.by else "[dim]not recorded[/]"
        table.add_row(f"{load.at:%Y-%m-%d %H:%M}", by, escape(load.name), escape(left))
    console.print(table)


def deal_list(console: Console, p: Process, deals: list[Deal], now: datetime) -> None:
    table = Table(title=f"{len(deals)} deals")
    for column in ("id", "deal", "account", "owner", "stage", "amount", "days in stage", "gate"):
        table.add_column(column, justify="right" if column in ("id", "amount") else "left")
    for d in deals:
        verdict = d.gate(p)
        if d.is_closed:
            gate = "[dim]closed[/]"
        elif verdict.allowed:
            gate = f"[green]may advance to {verdict.to_stage}[/]"
        else:
            gate = f"[yellow]{', '.join(dict.fromkeys(verdict.codes))}[/]"
        days = (now - d.stage_entered_at).days
        table.add_row(
            str(d.id),
            escape(d.name),
            escape(d.account),
            escape(d.owner),
            d.stage,
            money_display(d.amount) or "-",
            str(days),
            gate,
        )
    console.print(table)


def deal_detail(console: Console, detail: DealDetail, now: datetime) -> None:
    d, p, verdict = detail.deal, detail.process, detail.verdict
    console.print(
        f"[bold]#{d.id} {escape(d.name)}[/]  {escape(d.account)}  owner {escape(d.owner)}  "
        f"stage [bold]{d.stage}[/]  amount {money_display(d.amount) or '-'}  version {d.version}"
    )
    if d.stakeholders:
        committee = Table(title="Buying committee")
        for column in ("#", "name", "role", "title", "notes"):
            committee.add_column(column)
        for s in d.stakeholders:
            committee.add_row(
                str(s.number),
                escape(s.name),
                s.role.value,
                escape(s.title or ""),
                escape(s.notes or ""),
            )
        console.print(committee)
    if d.commitments:
        table = Table(title="Commitments")
        for column in ("#", "party", "action", "kind", "rung", "who", "due", "status"):
            table.add_column(column)
        for c in d.commitments:
            rung = p.rung_of(c.kind)
            overdue = c.status.value == "obtained" and c.due is not None and c.due < now.date()
            due = f"[red]{c.due}[/]" if overdue else str(c.due or "-")
            table.add_row(
                str(c.number),
                c.party.value,
                escape(c.action),
                c.kind or "-",
                rung.value if rung else "-",
                escape(c.person or "-"),
                due,
                c.status.value,
            )
        console.print(table)
    if d.interactions:
        table = Table(title="Interactions")
        for column in ("#", "kind", "date", "summary", "outcome"):
            table.add_column(column)
        for i in d.interactions:
            table.add_row(
                str(i.number), i.kind.value, str(i.on), escape(i.summary), d.outcome(i).value
            )
        console.print(table)
    history = Table(title="Stage history")
    for column in ("when", "by", "move", "justified by"):
        history.add_column(column)
    for m in d.history:
        if m.override_reason:
            why = f"[red]override[/]: {escape(m.override_reason)}"
        elif m.reason:
            why = escape(m.reason)
        else:
            why = ", ".join(f"commitment {n}" for n in m.commitments) or "-"
        move = f"{m.from_stage} -> {m.to_stage}" if m.from_stage else f"opened in {m.to_stage}"
        history.add_row(m.at.strftime("%Y-%m-%d %H:%M"), escape(m.actor), move, why)
    console.print(history)
    if d.is_closed:
        return
    if verdict.allowed:
        console.print(
            f"[green]Gate: may advance to {verdict.to_stage}[/] "
            f"(commitment {', '.join(map(str, verdict.justifying))})."
        )
    else:
        console.print(f"[yellow]Gate: cannot leave {d.stage} yet.[/]")
        for v in verdict.violations:
            told = told_how(v.message, v.code, v.field, d.id or 0, v.commitment)
            console.print(f"  - [bold]{v.code}[/]: {escape(told)}")


def review(console: Console, r: PipelineReview) -> None:
    counts = r.flag_counts
    f = r.forecast
    flagged = ", ".join(f"{code} {n}" for code, n in counts.items() if n) or "no flags"
    console.print(
        f"[bold]Review as of {r.as_of:%Y-%m-%d}[/]: {len(r.deals)} open deals reviewed; {flagged}."
    )
    if r.inferred_only:
        console.print(
            f"[yellow]{r.inferred_only} deals rest only on inferred commitments[/]: confirm or "
            "reject them (`dealgate commit confirm|reject`) to count them as evidence."
        )
    console.print(
        "Pipeline value evidenced by buyer commitments "
        f"[green]{money_display(r.value_evidenced)}[/], "
        f"only claimed [red]{money_display(r.value_claimed)}[/]. Forecast by stage "
        f"{money_display(f.by_stage)}, by evidence {money_display(f.by_evidence)} "
        f"([red]{money_display(f.resting_on_claims)}[/] rests on claims)."
    )
    shown = r.shown
    codes = [r.flag] if r.flag else [c for c, n in counts.items() if n]
    for code in codes:
        table = Table(title=f"{code} ({counts.get(code, 0)})", title_justify="left")
        for column in ("id", "deal", "owner", "stage", "amount", "why"):
            table.add_column(column, justify="right" if column in ("id", "amount") else "left")
        for d in shown:
            for flag in d.flags:
                if flag.code == code:
                    table.add_row(
                        str(d.deal_id),
                        escape(d.name),
                        escape(d.owner),
                        d.stage,
                        money_display(d.amount) or "-",
                        escape(flag.message),
                    )
        console.print(table)


def review_changes(console: Console, r: PipelineChanges) -> None:
    moves = ", ".join(
        f"{code} +{added} -{cleared}"
        for code, (added, cleared) in r.flag_moves.items()
        if added or cleared
    )
    console.print(
        f"[bold]Since {r.since:%Y-%m-%d}[/]: {len(r.changes)} deals changed their flags or "
        f"stage; {moves or 'no flag came or went'}."
    )
    if not r.changes:
        return
    table = Table(title_justify="left")
    for column in ("id", "deal", "owner", "stage then", "stage now", "new flags", "cleared"):
        table.add_column(column, justify="right" if column == "id" else "left")
    for c in r.changes:
        now = c.stage_now or f"{r.stages.get(c.deal_id, '?')} (out of the review)"
        table.add_row(
            str(c.deal_id),
            escape(c.name),
            escape(c.owner),
            c.stage_then or "(opened since)",
            now,
            "[red]" + ", ".join(c.added) + "[/]" if c.added else "",
            "[green]" + ", ".join(c.cleared) + "[/]" if c.cleared else "",
        )
    console.print(table)


def audit(console: Console, p: Process, findings: list[Finding]) -> None:
    if not findings:
        console.print(f"[green]Process '{escape(p.name)}': no findings.[/]")
        return
    table = Table(title=f"Audit of process '{escape(p.name)}'")
    for column in ("severity", "code", "stage", "finding"):
        table.add_column(column)
    for f in findings:
        colour = "red" if f.severity.value == "error" else "yellow"
        table.add_row(f"[{colour}]{f.severity.value}[/]", f.code, f.stage or "-", escape(f.message))
    console.print(table)


def deal_coaching(console: Console, deal: Deal, c: DealCoaching) -> None:
    console.print(f"[bold]#{deal.id} {escape(deal.name)}[/] in {c.stage}")
    if c.can_advance_now:
        console.print("[green]The buyer's commitment is in: advance the deal now.[/]")
    if c.primary:
        console.print(f"Primary: {escape(c.primary.sentence())} (exits {c.primary.stage})")
    if c.fallback:
        console.print(f"Fallback: {escape(c.fallback.sentence())} (exits {c.fallback.stage})")
    for v in c.prerequisites_missing:
        told = told_how(v.message, v.code, v.field, deal.id or 0, v.commitment)
        console.print(f"[yellow]Also:[/] {escape(told)}")
    if c.primary is None:
        console.print("The deal is closed; nothing to ask for.")


def rep_coaching(console: Console, c: RepCoaching) -> None:
    m = c.metrics
    table = Table(title=f"Coaching for {escape(m.rep)}")
    for column in ("measure", m.rep, "team median"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    mine = metric_values(m)
    for name, value in mine.items():
        pct = name in ("yield", "seller_only_share", "continuation_ratio")
        spec = ".0%" if pct else ".2f"
        table.add_row(
            name.replace("_", " "), format(value, spec), format(c.team_median[name], spec)
        )
    console.print(table)
    rungs = ", ".join(f"{k} {v}" for k, v in m.rungs_asked.items()) or "none"
    console.print(f"Rungs asked for: {rungs}")
    console.print(f"[bold]Verdict: {c.verdict.replace('_', ' ')}[/]")
    for reason in c.reasons:
        console.print(f"  - {escape(reason)}")


def import_summary(console: Console, s: ImportSummary) -> None:
    console.print(
        f"[bold]Imported from {s.source}[/]: {s.deals_created} deals new, "
        f"{s.deals_already_imported} already there; {s.stakeholders} stakeholders, "
        f"{s.stage_changes} stage changes, {s.interactions} activities, "
        f"{s.inferred_commitments} inferred commitments from {s.texts_read} texts."
    )
    r = s.review
    if r:
        per_stage = ", ".join(f"{k} {v}" for k, v in r["per_stage"].items())
        e = r["evidence"]
        console.print(f"Deals per stage: {per_stage}")
        console.print(
            f"Evidenced by buyer commitments: [green]{e['confirmed']} confirmed[/], "
            f"[yellow]{e['inferred']} only inferred[/] (confirm with `dealgate commit confirm`), "
            f"[red]{e['none']} none[/]."
        )
        if r["unevidenced_stage"]:
            table = Table(title="Deals that only claim their stage", title_justify="left")
            for column in ("id", "deal", "owner", "claimed", "evidenced", "read from notes"):
                table.add_column(column)
            for d in r["unevidenced_stage"]:
                table.add_row(
                    str(d["id"]),
                    escape(d["name"]),
                    escape(d["owner"]),
                    d["stage"],
                    d["evidenced_stage"],
                    d["read_from_notes"] or "-",
                )
            console.print(table)
            console.print(
                f"Confirming what their notes say would back {r['backed_once_confirmed']} of "
                f"these {len(r['unevidenced_stage'])}; the rest claim more than even their "
                "notes show."
            )
    for warning in s.warnings:
        console.print(f"[yellow]Warning:[/] {escape(warning)}")
    if s.rejected:
        table = Table(title=f"{len(s.rejected)} rows not imported", title_justify="left")
        for column in ("file", "line", "column", "reason"):
            table.add_column(column)
        for e in s.rejected:
            table.add_row(e.file, str(e.line), e.column or "-", escape(e.reason))
        console.print(table)
