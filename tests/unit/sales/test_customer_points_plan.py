"""Sales' blind index folds a batch of contacts' changes at once (crm_sales.domain
customer_points.plan_index): the batch must leave the index as applying its changes one by one
would, whatever the order and whatever was stored before."""

from __future__ import annotations

from crm_sales.domain.customer_points import (
    Change,
    CustomerGone,
    PointAdded,
    PointRemoved,
    plan_index,
)
from hypothesis import given
from hypothesis import strategies as st

Points = dict[str, dict[str, tuple[str, str]]]


def key(kind: str, value: str) -> tuple[str, str]:
    return kind, value


def applied(
    points: Points, listed: set[tuple[tuple[str, str], str]], changes: list[Change]
) -> tuple[Points, set[tuple[tuple[str, str], str]]]:
    """The index after `changes`, as the store would hold it: points per customer, and the
    (value, customer) pairs the value entries list."""
    plan = plan_index(points, changes, key)
    after = {c: dict(p) for c, p in points.items()}
    for cid, mine in plan.points.items():
        if mine is None:
            after.pop(cid, None)
        else:
            after[cid] = mine
    return after, (listed - plan.released) | plan.held


def listing(points: Points) -> set[tuple[tuple[str, str], str]]:
    return {(v, cid) for cid, mine in points.items() for v in mine.values()}


def test_a_value_stays_listed_while_another_point_of_the_customer_holds_it() -> None:
    mobile = PointAdded("c1", "mobile", "phone", "+34600000001")
    whatsapp = PointAdded("c1", "whatsapp", "phone", "+34600000001")
    points, listed = applied({}, set(), [mobile, whatsapp, PointRemoved("c1", "mobile")])
    assert points == {"c1": {"whatsapp": ("phone", "+34600000001")}}
    assert listed == {(("phone", "+34600000001"), "c1")}


def test_a_point_given_a_new_value_unlists_the_old_one() -> None:
    before = {"c1": {"p1": ("email", "old@b.example")}}
    points, listed = applied(
        before, listing(before), [PointAdded("c1", "p1", "email", "new@b.example")]
    )
    assert points == {"c1": {"p1": ("email", "new@b.example")}}
    assert listed == {(("email", "new@b.example"), "c1")}


def test_a_customer_gone_is_forgotten_and_unlisted_and_a_removal_for_an_unknown_one_is_nothing() -> (
    None
):
    before = {"c1": {"p1": ("email", "a@b.example")}}
    plan = plan_index(before, [CustomerGone("c1"), PointRemoved("c2", "p9")], key)
    assert plan.points == {"c1": None}
    assert plan.released == {(("email", "a@b.example"), "c1")} and plan.held == set()


def test_a_batch_replayed_after_the_points_were_written_lists_its_values_again() -> None:
    # A crash between the entries' write and the points' leaves the points ahead: the replay
    # must still list what the batch added, or the entry would stay missing.
    added = [PointAdded("c1", "p1", "email", "a@b.example")]
    points, _ = applied({}, set(), added)
    assert plan_index(points, added, key).held == {(("email", "a@b.example"), "c1")}


customers = st.sampled_from(["c1", "c2", "c3"])
point_ids = st.sampled_from(["p1", "p2", "p3"])
values = st.sampled_from(
    [("email", "a@b.example"), ("email", "b@b.example"), ("phone", "+34600000001")]
)
changes = st.lists(
    st.one_of(
        st.builds(lambda c, p, v: PointAdded(c, p, v[0], v[1]), customers, point_ids, values),
        st.builds(PointRemoved, customers, point_ids),
        st.builds(CustomerGone, customers),
    ),
    max_size=12,
)


@given(first=changes, batch=changes)
def test_a_batch_leaves_the_index_as_its_changes_one_by_one_would(
    first: list[Change], batch: list[Change]
) -> None:
    stored, listed = applied({}, set(), first)
    at_once = applied(stored, listed, batch)
    one_by_one = (stored, listed)
    for change in batch:
        one_by_one = applied(*one_by_one, [change])
    assert at_once == one_by_one
    assert at_once[1] == listing(at_once[0])  # every listed value is held by a point, and back
