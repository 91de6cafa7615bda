"""The review dashboard: flags, evidenced against claimed value, the funnel, and the flagged
deals, largest first, filtered by flag, stage or owner, a page at a time (an imported
pipeline flags tens of thousands)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Engine

from dealgate.cli_support import parse_date
from dealgate.clock import end_of_day
from dealgate.domain.errors import DealgateError, ErrorDetail
from dealgate.domain.ordering import by_name
from dealgate.domain.review import FLAG_CODES, DealReview, read_from_notes
from dealgate.services import views
from dealgate.services.review import PipelineReview
from dealgate.services.review import review as run_review
from dealgate.store.confirm_queue import highest_rungs_in_notes
from dealgate.store.unit_of_work import UnitOfWork
from dealgate.web.csv_download import csv_download, spreadsheet_safe
from dealgate.web.routes import EngineDep, NowDep, Page, PageDep, render, storable_input
from dealgate.web.stage_total import StageTotal

router = APIRouter(include_in_schema=False, dependencies=[Depends(storable_input)])

PER_PAGE = 100
CSV_COLUMNS = (
    "id",
    "name",
    "account",
    "owner",
    "stage",
    "amount",
    "evidenced_stage",
    "flags",
    "why",
)


class Filters:
    """The review's query: the day, and which flagged deals to list ("" from a form: any)."""

    def __init__(
        self,
        as_of: Annotated[str | None, Query(max_length=10)] = None,
        flag: Annotated[str | None, Query(max_length=40)] = None,
        stage: Annotated[str | None, Query(max_length=40)] = None,
        owner: Annotated[str | None, Query(max_length=100)] = None,
    ) -> None:
        self.as_of = as_of or None
        self.flag, self.stage, self.owner = flag or None, stage or None, owner or None


def _review(
    engine: Engine, p: Page, as_of: str | None, now: datetime
) -> tuple[date, PipelineReview]:
    """The review at the end of `as_of` (today when None), of the deals the user sees."""
    day = parse_date(as_of, "as_of") or now.date()
    return day, run_review(engine, end_of_day(day), owners=p.visibility.owners, now=now)


@router.get("/review")
def review_page(
    request: Request,
    engine: EngineDep,
    p: PageDep,
    now: NowDep,
    chosen: Annotated[Filters, Depends()],
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    errors: list[ErrorDetail] = []
    try:
        day, result = _review(engine, p, chosen.as_of, now)
    except DealgateError as e:  # a date that is no date, or out of range: today, and why
        errors = e.details
        day, result = _review(engine, p, None, now)
    title = "Reviewed today instead:" if errors else "Shown without that filter:"
    flag, stage, owner = chosen.flag, chosen.stage, chosen.owner
    errors += _unknown_filters(result, flag, stage)
    if errors:
        flag = stage = None
    flagged = _flagged(result, flag, stage, owner)
    pages = max(1, -(-len(flagged) // PER_PAGE))
    page = min(page, pages)
    summary = views.review_summary_view(result)
    evidenced, claimed = Decimal(summary["value_evidenced"]), Decimal(summary["value_claimed"])
    top = max(evidenced, claimed, Decimal(1))
    kept = {"as_of": day.isoformat(), "flag": flag, "stage": stage, "owner": owner}

    def link(**change: Any) -> str:
        query = {k: v for k, v in {**kept, **change}.items() if v}
        return "/review?" + urlencode(query) + "#flagged"

    listed = flagged[(page - 1) * PER_PAGE : page * PER_PAGE]

    return render(
        request,
        "review.html",
        {
            "user": p.user,
            "csrf": p.csrf,
            "as_of": day.isoformat(),
            "past": day < now.date(),
            "summary": summary,
            "deals": [views.deal_review_view(d) for d in listed],
            # Today's review only: what a past day's notes said is not rewound.
            "notes": {} if day < now.date() else _notes(engine, result, listed),
            "flagged_total": len(flagged),
            "first": (page - 1) * PER_PAGE + 1,
            "page": page,
            "pages": pages,
            "previous": link(page=page - 1) if page > 1 else None,
            "next": link(page=page + 1) if page < pages else None,
            "filter": kept,
            "link": link,
            "owners": by_name({d.owner for d in result.deals}),
            "stages": [s.key for s in result.process.stages],
            "flag_codes": FLAG_CODES,
            "funnel": _funnel(result),
            "bars": {"evidenced": int(400 * evidenced / top), "claimed": int(400 * claimed / top)},
            "money": {
                key: views.money_display(Decimal(summary[key]))
                for key in (
                    "value_evidenced",
                    "value_claimed",
                    "forecast_by_stage",
                    "forecast_by_evidence",
                    "forecast_resting_on_claims",
                )
            },
            "errors": errors,
            "errors_title": title,
        },
        422 if errors else 200,
    )


def _notes(engine: Engine, result: PipelineReview, listed: list[DealReview]) -> dict[int, str]:
    """For each listed deal that only claims its stage, what its notes would evidence once
    confirmed, when further than its commitments evidence now."""
    claimed = [d for d in listed if not d.evidenced]
    with UnitOfWork(engine, write=False) as uow:
        rungs = highest_rungs_in_notes(uow.connection, [d.deal_id for d in claimed])
    found = {
        d.deal_id: read_from_notes(result.process, d.evidenced_stage, rungs.get(d.deal_id))
        for d in claimed
    }
    return {deal_id: stage for deal_id, stage in found.items() if stage}


@router.get("/review.csv")
def review_csv(
    engine: EngineDep,
    p: PageDep,
    now: NowDep,
    chosen: Annotated[Filters, Depends()],
) -> Response:
    """Every flagged deal the page's filters choose, for a spreadsheet: no page limit."""
    day, result = _review(engine, p, chosen.as_of, now)
    wrong = _unknown_filters(result, chosen.flag, chosen.stage)
    if wrong:
        raise DealgateError(wrong[0].message, wrong)
    rows = (
        [
            d.deal_id,
            spreadsheet_safe(d.name),
            spreadsheet_safe(d.account),
            spreadsheet_safe(d.owner),
            d.stage,
            "" if d.amount is None else f"{d.amount:.2f}",
            d.evidenced_stage,
            " ".join(d.codes),
            " | ".join(f.message for f in d.flags),
        ]
        for d in _flagged(result, chosen.flag, chosen.stage, chosen.owner)
    )
    return csv_download(f"dealgate-review-{day.isoformat()}.csv", CSV_COLUMNS, rows)


def _unknown_filters(
    result: PipelineReview, flag: str | None, stage: str | None
) -> list[ErrorDetail]:
    wrong = []
    if flag is not None and flag not in FLAG_CODES:
        wrong.append(
            ErrorDetail(
                "unknown_flag",
                f"Unknown flag '{flag}'. Use one of: {', '.join(FLAG_CODES)}.",
                "flag",
            )
        )
    open_stages = [s.key for s in result.process.stages]
    if stage is not None and stage not in open_stages:
        wrong.append(
            ErrorDetail(
                "unknown_stage",
                f"Unknown open stage '{stage}'. Use one of: {', '.join(open_stages)}.",
                "stage",
            )
        )
    return wrong


def _flagged(
    result: PipelineReview, flag: str | None, stage: str | None, owner: str | None
) -> list[DealReview]:
    """The flagged deals asked for, the largest amount first: what most of the forecast
    rests on is what a manager looks at first."""
    chosen = [
        d
        for d in result.deals
        if (d.codes if flag is None else flag in d.codes)
        and (stage is None or d.stage == stage)
        and (owner is None or d.owner == owner)
    ]
    return sorted(chosen, key=lambda d: (-(d.amount or 0), d.deal_id))


def _funnel(result: PipelineReview) -> list[dict[str, Any]]:
    counts = {s.key: StageTotal() for s in result.process.stages}
    for d in result.deals:
        if d.stage in counts:
            counts[d.stage].add(d.amount, d.evidenced)
    most = max([1] + [t.deals for t in counts.values()])
    return [
        {
            "stage": key,
            "total": t.deals,
            "evidenced": t.deals - t.unbacked,
            "amount": t.amount_display,
            "unbacked_amount": t.unbacked_display if t.unbacked else "",
            "total_w": 200 * t.deals // most,
            "evidenced_w": 200 * (t.deals - t.unbacked) // most,
        }
        for key, t in counts.items()
    ]
