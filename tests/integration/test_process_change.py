"""A team loads an edited process over its pipeline, on both databases: the deals of a stage it
leaves out go where the person loading it says, or nothing changes at all."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from dealgate.domain.errors import DealgateError
from dealgate.domain.review import review_deal
from dealgate.processes import DEFAULT_PROCESS_PATH, load_process
from dealgate.services.demo import fill_demo
from dealgate.services.exporting import export_tables, import_tables
from dealgate.services.review import review
from dealgate.services.setup import init_database
from dealgate.store import tables as t
from dealgate.store.db import make_engine
from dealgate.store.unit_of_work import UnitOfWork
from tests.api_support import running_api
from tests.builders import T0

NOW = T0 + timedelta(days=200)


def process_without(tmp_path: Path, *left_out: str) -> Path:
    """The shipped process file less the `[[stages]]` blocks of `left_out`."""
    head, *stages = DEFAULT_PROCESS_PATH.read_text(encoding="utf-8").split("[[stages]]")
    kept = [s for s in stages if not any(f'key = "{key}"' in s for key in left_out)]
    path = tmp_path / "team.toml"
    path.write_text("[[stages]]".join([head, *kept]), encoding="utf-8")
    return path


def standing_in(engine: Engine, stage: str) -> dict[int, datetime]:
    """The deals in `stage`, with when each entered it."""
    with UnitOfWork(engine, write=False) as uow:
        return {d.id: d.stage_entered_at for d in uow.deals.find(stage=stage) if d.id}


def loads(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.processes)).scalar_one())


@pytest.fixture
def demo(engine: Engine) -> Engine:
    fill_demo(engine, NOW)
    assert standing_in(engine, "resolve"), "the demo has deals in resolve"
    return engine


def test_a_process_leaving_out_a_stage_deals_stand_in_is_refused_and_nothing_changes(
    demo: Engine, tmp_path: Path
) -> None:
    before, processes = standing_in(demo, "resolve"), loads(demo)
    with pytest.raises(DealgateError) as caught:
        init_database(demo, NOW, process_without(tmp_path, "resolve"))
    assert [(d.code, d.field) for d in caught.value.details] == [("stage_in_use", "move.resolve")]
    assert standing_in(demo, "resolve") == before
    assert loads(demo) == processes
    with UnitOfWork(demo, write=False) as uow:
        assert uow.processes.active().has_stage("resolve")


def test_the_deals_of_a_left_out_stage_go_where_the_loader_says_keeping_their_stall_clock(
    demo: Engine, tmp_path: Path
) -> None:
    before = standing_in(demo, "resolve")
    result = init_database(
        demo, NOW, process_without(tmp_path, "resolve"), {"resolve": "decide"}, "ada"
    )
    assert result.loaded and result.change.moving == {"resolve": len(before)}
    in_decide = standing_in(demo, "decide")
    assert {i: in_decide[i] for i in before} == before
    with UnitOfWork(demo, write=False) as uow:
        newest = uow.processes.loads()[0]
    assert (newest.by, newest.at, newest.moves) == ("ada", NOW, {"resolve": "decide"})
    with UnitOfWork(demo, write=False) as uow:
        events = uow.deals.events_of(list(before), ["deal.restaged"])
    assert {
        i: [(e.actor, e.payload["from"], e.payload["to"]) for e in events[i]] for i in before
    } == {i: [("ada", "resolve", "decide")] for i in before}


def test_after_the_change_the_pipeline_reviews_the_same_in_sql_and_in_the_domain(
    demo: Engine, tmp_path: Path
) -> None:
    moved = standing_in(demo, "resolve")
    init_database(demo, NOW, process_without(tmp_path, "resolve"), {"resolve": "propose"})
    as_of = NOW + timedelta(days=1)
    result = review(demo, as_of)
    with UnitOfWork(demo, write=False) as uow:
        process = uow.processes.active()
        pure = {d.id: review_deal(d, process, as_of) for d in uow.deals.find() if not d.is_closed}
    assert {r.deal_id: r for r in result.deals} == pure
    assert {pure[i].stage for i in moved} == {"propose"}


def test_a_review_of_a_day_before_the_change_judges_a_deal_then_in_the_left_out_stage_where_it_went(
    demo: Engine, tmp_path: Path
) -> None:
    with UnitOfWork(demo, write=False) as uow:
        deal = next(d for d in uow.deals.find(stage="resolve"))
    entered = deal.stage_entered_at
    init_database(demo, NOW, process_without(tmp_path, "resolve"), {"resolve": "decide"})
    then = review(demo, entered + timedelta(minutes=1), now=NOW)
    assert next(r for r in then.deals if r.deal_id == deal.id).stage == "decide"


def test_a_stage_no_open_deal_stands_in_is_left_out_without_a_move(
    demo: Engine, tmp_path: Path
) -> None:
    # Deals went through `change` (a past review rewinds some to it), none stands in it now.
    with UnitOfWork(demo) as uow:
        for deal in uow.deals.find(stage="change"):
            deal.close_lost("Lost to a competitor", now=NOW, actor="maria")
            uow.deals.save(deal)
        uow.commit()
    result = init_database(demo, NOW, process_without(tmp_path, "change"))
    assert result.change.moves == {"change": "discover"} and result.change.moving == {}
    for day in range(0, 200, 20):
        review(demo, T0 + timedelta(days=day), now=NOW)  # every past day reads


def test_loading_the_same_process_with_the_same_moves_again_changes_nothing(
    demo: Engine, tmp_path: Path
) -> None:
    path = process_without(tmp_path, "resolve")
    init_database(demo, NOW, path, {"resolve": "decide"})
    processes, in_decide = loads(demo), standing_in(demo, "decide")
    again = init_database(demo, NOW + timedelta(hours=1), path, {"resolve": "decide"})
    assert not again.loaded and again.change.moving == {}
    assert (loads(demo), standing_in(demo, "decide")) == (processes, in_decide)


def test_a_database_whose_deals_stand_where_its_process_has_no_stage_is_repaired_by_a_move(
    demo: Engine, tmp_path: Path
) -> None:
    """Loads made before this check could strand deals (the review then failed)."""
    path = process_without(tmp_path, "resolve")
    stranded = standing_in(demo, "resolve")
    with UnitOfWork(demo) as uow:
        uow.processes.load(load_process(path), path.read_text(), NOW)
        uow.commit()
    with pytest.raises(DealgateError) as caught:
        init_database(demo, NOW, path)
    assert caught.value.codes == ["stage_in_use"]
    init_database(demo, NOW, path, {"resolve": "propose"})
    assert set(stranded) <= set(standing_in(demo, "propose"))
    review(demo, NOW)


def test_an_admin_loads_an_edited_process_over_the_api_naming_where_the_deals_go(
    demo: Engine, tmp_path: Path
) -> None:
    edited = process_without(tmp_path, "resolve").read_text(encoding="utf-8")
    in_resolve = standing_in(demo, "resolve")
    with running_api(demo, NOW) as api, api.client() as admin:
        refused = admin.put("/process", json={"source": edited})
        assert refused.status_code == 422
        assert [(e["code"], e["field"]) for e in refused.json()["errors"]] == [
            ("stage_in_use", "move.resolve")
        ]
        wrong = admin.put("/process", json={"source": edited, "moves": {"resolve": "lost"}})
        assert [e["code"] for e in wrong.json()["errors"]] == ["invalid_move"]
        broken = admin.put("/process", json={"source": "[process]\nname = 1"})
        assert broken.status_code == 422 and broken.json()["errors"][0]["code"] == "invalid_process"
        assert standing_in(demo, "resolve") == in_resolve

        done = admin.put("/process", json={"source": edited, "moves": {"resolve": "decide"}})
        assert done.status_code == 200, done.text
        body = done.json()
        assert body["loaded"] and body["deals_moved"] == {"resolve": len(in_resolve)}
        assert "resolve" not in [s["key"] for s in body["stages"]]
        assert admin.get("/review").status_code == 200
        events = admin.get(f"/deals/{next(iter(in_resolve))}/history").json()["events"]
        loads = admin.get("/process/history").json()
    assert [(x["by"], x["moves"]) for x in loads[:2]] == [
        ("admin", {"resolve": "decide"}),
        ("dealgate", {}),  # the database's first load, by `init` itself
    ]
    moved = [e for e in events if e["type"] == "deal.restaged"]
    assert [(e["actor"], e["payload"]["to"]) for e in moved] == [("admin", "decide")]


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_an_export_carries_the_process_its_deals_were_judged_by_and_its_moves(
    demo: Engine, tmp_path: Path, fmt: str
) -> None:
    init_database(demo, NOW, process_without(tmp_path, "resolve"), {"resolve": "decide"})
    export_tables(demo, tmp_path / "one", fmt)
    fresh = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")  # the shipped process, with resolve
    init_database(fresh, T0)
    assert import_tables(fresh, tmp_path / "one")["processes"] == 2
    with UnitOfWork(fresh, write=False) as uow:
        assert not uow.processes.active().has_stage("resolve")
        assert uow.processes.former_stages() == {"resolve": "decide"}
    review(fresh, NOW - timedelta(days=30), now=NOW)  # a past day with deals then in resolve
    export_tables(fresh, tmp_path / "two", fmt)
    fresh.dispose()
    for path in sorted((tmp_path / "one").iterdir()):
        assert path.read_bytes() == (tmp_path / "two" / path.name).read_bytes(), path.name


def test_an_export_whose_deals_stand_where_the_databases_process_has_no_stage_loads_nothing(
    demo: Engine, tmp_path: Path
) -> None:
    export_tables(demo, tmp_path / "old", "json")
    (tmp_path / "old" / "processes.jsonl").unlink()  # as exports made before they carried it
    fresh = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    init_database(fresh, T0, process_without(tmp_path, "resolve"))
    with pytest.raises(DealgateError) as caught:
        import_tables(fresh, tmp_path / "old")
    assert caught.value.codes == ["unknown_stage"]
    assert "(resolve)" in caught.value.details[0].message
    with fresh.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.deals)).scalar_one() == 0
    fresh.dispose()
