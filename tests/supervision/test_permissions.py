"""supervision/permissions.py: the order page offers a step to exactly the people the service lets take
it, because both ask the same predicate."""

import pytest

from supervision import permissions, services
from tests.factories import days
from tests.tasks.test_permissions import service_lets

STEPS = {
    "acknowledge": (
        permissions.is_addressee,
        lambda order, by: services.order_acknowledge(order=order, by=by),
    ),
    "rectify": (
        permissions.is_addressee,
        lambda order, by: services.order_report_rectification(order=order, by=by, text="已整改"),
    ),
    "verify": (permissions.may_verify, lambda order, by: services.order_verify(order=order, by=by)),
    "return": (
        permissions.may_verify,
        lambda order, by: services.order_return(order=order, by=by, reason="不实"),
    ),
    "chase": (
        lambda user, order: permissions.may_chase(user),
        lambda order, by: services.chase_order(order=order, by=by),
    ),
}


@pytest.mark.parametrize(
    "person", ["wanan_official", "yingji_official", "office", "inspector", "city_office"]
)
def test_the_order_page_offers_a_step_to_exactly_those_the_service_lets_take_it(world, person):
    order = services.order_issue(
        group=world.group,
        by=world.inspector,
        unit=world.wanan,
        problem="隐患台账不全",
        requirement="一周内补齐",
        deadline=days(7),
    )
    user = getattr(world, person)
    for step, (predicate, call) in STEPS.items():
        assert predicate(user, order) == service_lets(call, order, user), (person, step)
