"""`sources.paging.PageGuard` on its own: the limits any door's paging loop runs under."""

from __future__ import annotations

from sources.paging import DiscoveryBudget, PageGuard, PagingLimits


def _page(guard: PageGuard, ids: list[str], total: int | None) -> bool:
    assert guard.before_page()
    fresh = len(guard.new_records(ids))
    return guard.after_page(ids, total, fresh=fresh)


def test_an_honest_large_total_raises_the_ceiling_but_only_so_far() -> None:
    limits = PagingLimits(max_records=100)
    guard = PageGuard(limits, page_size=10)
    _page(guard, [str(i) for i in range(10)], total=500)
    assert guard.ceiling == 510
    huge = PageGuard(limits, page_size=10)
    _page(huge, [str(i) for i in range(10)], total=10**9)
    assert huge.ceiling == 1000  # ten times the setting, not a billion


def test_a_total_changing_at_every_page_stops_paging() -> None:
    guard = PageGuard(PagingLimits(max_records=10**6), page_size=2)
    results = [_page(guard, [f"a{n}", f"b{n}"], total=100 + n) for n in range(5)]
    assert results == [True, True, True, True, False]
    assert [n.incomplete for n in guard.notes] == [False, False, False, True]
    assert "the total changed 4 times (first 100, now 104)" in guard.notes[-1].message


def test_a_spent_budget_stops_before_the_next_request() -> None:
    now = [0.0]
    guard = PageGuard(PagingLimits(), page_size=2,
                      budget=DiscoveryBudget(5.0, clock=lambda: now[0]))
    assert _page(guard, ["a", "b"], None)
    now[0] = 5.0
    assert not guard.before_page()
    assert guard.notes[-1].incomplete and "budget is spent" in guard.notes[-1].message


def test_a_lying_total_is_followed_while_pages_are_full() -> None:
    guard = PageGuard(PagingLimits(), page_size=2)
    assert _page(guard, ["a", "b"], total=1)
    assert guard.more(2, position=3)  # past the total, but the page was full
    assert _page(guard, ["c"], total=1)
    assert not guard.more(1, position=4)  # a short page is the last
    assert [n.message for n in guard.finish()] == [
        "search: the server served 3 records but reported 1"
    ]
