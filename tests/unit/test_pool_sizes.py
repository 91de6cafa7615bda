"""How the server's workers share PostgreSQL's connections (`store/db.pool_sizes`)."""

from __future__ import annotations

import pytest

from dealgate.domain.errors import DealgateError
from dealgate.store.db import PoolSizes, configured_pool_sizes, pool_sizes


def total(sizes: PoolSizes) -> int:
    return sizes.pool + sizes.overflow + sizes.reads


@pytest.mark.parametrize("workers", [1, 2])
def test_one_or_two_workers_keep_pools_as_large_as_the_requests_they_run(workers: int) -> None:
    assert pool_sizes(workers) == PoolSizes(pool=20, overflow=10, reads=8)


@pytest.mark.parametrize("workers", [3, 4, 6, 8, 16])
def test_more_workers_share_the_budget_and_together_stay_within_it(workers: int) -> None:
    sizes = pool_sizes(workers, budget=90)
    assert workers * total(sizes) <= 90
    assert total(sizes) < total(pool_sizes(1))


@pytest.mark.parametrize("workers", [1, 8, 50, 200])
def test_every_worker_keeps_at_least_two_pooled_connections_and_one_for_reads(
    workers: int,
) -> None:
    sizes = pool_sizes(workers, budget=90)
    assert sizes.pool >= 2 and sizes.reads >= 1 and sizes.overflow >= 0


def test_a_larger_budget_gives_many_workers_larger_pools() -> None:
    assert total(pool_sizes(8, budget=400)) > total(pool_sizes(8, budget=90))
    assert 8 * total(pool_sizes(8, budget=400)) <= 400


def test_the_serve_command_worker_count_and_the_budget_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DEALGATE_SERVER_WORKERS", "4")
    monkeypatch.setenv("DEALGATE_DB_CONNECTIONS", "90")
    assert configured_pool_sizes() == pool_sizes(4, 90)


def test_a_budget_that_is_not_a_number_is_refused_with_how_to_fix_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DEALGATE_DB_CONNECTIONS", "lots")
    with pytest.raises(DealgateError) as caught:
        configured_pool_sizes()
    assert caught.value.codes == ["invalid_setting"]
    assert "whole numbers" in caught.value.details[0].message
