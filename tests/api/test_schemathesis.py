"""Property-based tests of the REST API against its own live OpenAPI schema (/api/schema/), with Schemathesis.

Every operation of the schema is called in-process (the WSGI app, same thread and same test
transaction as the fixtures) with generated requests, valid and invalid ("positive" and "negative"
modes, in the examples, coverage and fuzzing phases), once as a unit official holding an API token
and once anonymously. Each response must:

- not be a server error (5xx);
- have a status code the schema documents for the operation, a documented content type and a body
  (and documented headers) that matches the documented schema;
- reject invalid input: a request Schemathesis built to break the schema must not be accepted (2xx).

The schema is loaded from the app when a test runs, by the `live_schema` fixture
(`schemathesis.pytest.from_fixture`), not when the module is imported: collecting the suite (in each
xdist worker, or for `make test-fast`, which deselects these tests) runs no request. Each test is one
pytest item; each operation of the schema is a subtest of it, reported on its own.

Valid path parameters are pinned to real rows of a small county (the `world` fixture plus a few tasks, a
milestone, a progress report with an attachment and an extension request), so detail routes reach
the views' logic instead of answering 404; bodies, query strings and headers are generated. Writes
change the rows between examples (a milestone gets completed, a token revoked …): any answer is fine
as long as the schema documents it. Each operation starts again from the rows as built: what the
previous operation's requests wrote is rolled back to a savepoint first.

A third test is stateful: the office (which may create) follows the schema's links from what it
creates to the operations on it (`POST /tasks/` → the task, its progress reports …; links are in the
schema, winteraction/api/schema.py) and those Schemathesis infers, in sequences of a few steps.

Invalid path parameters (negative testing) are sent as generated: they must be answered 404 in the
error shape too.

The number of examples per operation is bounded (SCHEMATHESIS_MAX_EXAMPLES, default 25: about a
minute for both callers on PostgreSQL) and the generation is seeded (SCHEMATHESIS_SEED). Hypothesis
also mixes in constants it finds in the project's own code, so a change elsewhere may bring new
examples; a failure prints a `curl` line that reproduces it.
"""

import io
import os
from types import SimpleNamespace

import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from PIL import Image
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.stateful import run_state_machine_as_test
from schemathesis.specs.openapi.checks import negative_data_rejection

from tests.factories import days

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25"))
SEED = int(os.environ.get("SCHEMATHESIS_SEED", "20251201"))
SCHEMA_PATH = "/api/schema/?format=json"
UNLIMITED = "1000000/hour"

# The checks asked of every response: all of Schemathesis's, but `positive_data_acceptance`. A request
# valid by the schema may still be refused by the rules (a deadline in the past, a unit out of scope,
# a task already closed …), and the schema documents those refusals as 400/403/404/409.
# An invalid request must be refused: Schemathesis's list of refusals, plus 412 (a stale `If-Match`
# refuses the write before anything changes).
REFUSALS = ["400", "401", "403", "404", "405", "406", "409", "412", "415", "422", "428", "429", "5xx"]
CHECKS = {
    "positive_data_acceptance": {"enabled": False},
    "negative_data_rejection": {"expected-statuses": REFUSALS},
}

HOST = "localhost"  # where Schemathesis's WSGI transport sends its requests


pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _lazy_schema_on_pytest_9_2(request):
    """Schemathesis 4.32's lazy loader reads (and, to relabel reports, writes) `item._nodeid`, a string
    that pytest 9.2 replaced with a structured id: give it the string. Its writes then change nothing;
    each operation's report still carries the operation as its label."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


@pytest.fixture
def in_process_app():
    """Requests served by the WSGI app in this thread share the test's connection and transaction.

    A WSGI request normally ends with `close_old_connections`, which would close the connection
    (and with it the test transaction); Django's own test client switches it off the same way.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def live_schema(db, settings, in_process_app):
    """GET /api/schema/ from the app, in the test. Producing the schema needs no database, but the
    request must not open a connection before the test database is set up (`db`); the autouse
    `_own_cache` keeps the schema view's throttle off Redis."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, HOST]
    return schemathesis.openapi.from_wsgi(
        SCHEMA_PATH,
        get_wsgi_application(),
        config=schemathesis.Config.from_dict(
            {"seed": SEED, "generation": {"mode": "all", "database": "none"}, "checks": CHECKS}
        ),
    )


schema = schemathesis.pytest.from_fixture("live_schema")


def _tiny_jpeg() -> bytes:
    # A real (tiny) JPEG: evidence is checked from its content, so a bare header is refused.
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (30, 90, 160)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def api_world(world, settings, media, in_process_app):
    """The `world` county, plus a row for every detail route to reach."""
    from supervision.models import Card
    from supervision.services import (
        bulletin_draft,
        bulletin_issue,
        bulletin_sign,
        cards_propose,
        chase_task,
        inspection_record,
        order_issue,
        webhook_create,
    )
    from tasks import indicators, services
    from tasks.imports import import_preview, template_workbook

    settings.API_RATES = {scope: UNLIMITED for scope in ("token", "user", "anon", "login")}
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, HOST]
    cache.clear()

    w = world
    official = w.wanan_official
    task = w.task(cooperating_units=[w.shanmu])
    report = services.progress_report(
        task=task,
        by=official,
        percent=40,
        done="排查井下隐患3处",
        attachments=[SimpleUploadedFile("现场照片.jpg", _tiny_jpeg(), content_type="image/jpeg")],
    )
    token, plain = services.token_create(user=official, by=official, name="schemathesis")
    _office_token, office_plain = services.token_create(user=w.office, by=w.office, name="schemathesis")
    spare, _plain = services.token_create(user=official, by=official, name="吊销用")
    inspection = inspection_record(
        group=w.group,
        by=w.inspector,
        kind="on_site",
        date=days(0),
        summary="实地检查万安镇煤矿",
        findings=[{"unit": w.wanan, "task": task, "text": "井下通风记录缺失"}],
    )
    # An issued bulletin of the county: the unit official reads it (and is refused its steps).
    bulletin = bulletin_draft(
        campaign=w.campaign,
        region=w.county,
        kind="weekly",
        period_start=days(-6),
        period_end=days(0),
        by=w.office,
    )
    bulletin = bulletin_issue(bulletin=bulletin_sign(bulletin=bulletin, by=w.leader), by=w.office)
    tongji = services.unit_create(by=None, name="县统计局", kind="department", parent=w.county)
    indicator = indicators.indicator_create(
        campaign=w.campaign,
        name="规上工业增加值增速",
        measure="%",
        kind="growth",
        responsible_unit=w.wanan,
        source_unit=tongji,
        by=w.office,
    )
    indicators.indicator_target_set(indicator=indicator, month=days(-31), target=5, by=w.office)
    figure = indicators.indicator_figure_report(
        indicator=indicator, month=days(-31), kind="expected", value="4.2", by=official
    )
    return SimpleNamespace(
        token=plain,
        office_token=office_plain,
        # The rows as built: each operation starts again from here (see `from_the_rows_as_built`).
        savepoint=transaction.savepoint(),
        operation=None,
        rows={
            "tasks": task.pk,
            # Asking to close the task would stop its progress reports and milestones: another task.
            "tasks/{id}/request-close/": w.task(title="取暖季燃气安全检查").pk,
            "milestones": services.milestone_add(
                task=task, by=w.office, title="完成隐患排查", due_date=days(5)
            ).pk,
            "progress-reports": report.pk,
            "attachments": report.attachments.get().pk,
            "extension-requests": services.extension_request(
                task=task, by=official, new_deadline=days(20), reason="雪天停工"
            ).pk,
            "units": w.wanan.pk,
            "people": w.shanmu_official.pk,
            "campaigns": w.campaign.pk,
            "special-actions": w.safety.pk,
            "supervision-groups": w.group.pk,
            "inspections": inspection.pk,
            "findings": inspection.findings.get().pk,
            "supervision-orders": order_issue(
                group=w.group,
                by=w.inspector,
                unit=w.wanan,
                problem="台账缺失",
                requirement="补齐",
                deadline=days(7),
            ).pk,
            # By then both of 万安镇's tasks are over 7 days overdue: the system proposes a yellow card.
            "cards": cards_propose(today=days(30)) and Card.objects.get().pk,
            "tokens": token.pk,
            "bulletins": bulletin.pk,
            # Revoking the token the test signs in with would turn every later call into a 401.
            "tokens/{id}/revoke/": spare.pk,
            # A chase of the task: in the inbox of 万安镇's official (ids are the notification's).
            "notifications": chase_task(task=task, by=w.office, note="请加快进度").pk,
            # An uploaded task list (the blank template: no rows), previewed by the office.
            "imports": import_preview(
                campaign=w.campaign,
                file=SimpleUploadedFile("清单.xlsx", template_workbook(campaign=w.campaign, by=w.office)),
                by=w.office,
            ).pk,
            "indicators": indicator.pk,
            "indicator-figures": figure.pk,
            # The county office's outbound webhook: the unit official is refused it (403).
            "webhooks": webhook_create(
                by=w.office, url="https://qyapi.weixin.qq.com/hooks/wa", events=["task.created"]
            ).pk,
        },
    )


def from_the_rows_as_built(case, api_world) -> None:
    """The first example of an operation rolls back what the previous operation's requests wrote, so
    each operation meets the rows `api_world` built (a task another operation cancelled, a milestone it
    completed, would otherwise turn its calls into refusals)."""
    if case.operation.label != api_world.operation:
        transaction.savepoint_rollback(api_world.savepoint)
        api_world.operation = case.operation.label


def pin_path(case, api_world) -> None:
    """A valid generated `{id}` becomes a real row's id; an invalid one (negative testing) is kept."""
    if "id" not in (case.path_parameters or {}):
        return
    if case.meta is not None and case.meta.is_negative_at(ParameterLocation.PATH):
        return
    route = case.operation.path.removeprefix("/api/v1/")
    row = api_world.rows.get(route) or api_world.rows.get(route.split("/", 1)[0])
    if row is None:
        pytest.fail(f"api_world has no row for /api/v1/{route}: add one", pytrace=False)
    case.path_parameters = {**case.path_parameters, "id": row}  # assigned: Schemathesis re-validates


BOUNDED = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,  # no example database: rows and their ids differ from run to run
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,  # api_world is built once per test, on purpose
    ],
)


def excluded(case) -> list:
    """On the wire every multipart field is text: "-2.1e-60" sent for a text field *is* text, though
    Schemathesis generated it as a number to break the schema. Such a body cannot be told apart
    from a valid one, so the negative check does not apply to multipart bodies."""
    if (
        (case.media_type or "").startswith("multipart/")
        and case.meta
        and case.meta.is_negative_at(ParameterLocation.BODY)
    ):
        return [negative_data_rejection]
    return []


@schema.parametrize()
@BOUNDED
def test_api_as_a_unit_official(case, api_world):
    from_the_rows_as_built(case, api_world)
    pin_path(case, api_world)
    # Sent as explicit credentials: the `ignored_auth` check then also tries the call without them.
    case.call_and_validate(
        headers={"Authorization": f"Token {api_world.token}"}, excluded_checks=excluded(case)
    )


@schema.parametrize()
@BOUNDED
def test_api_anonymously(case, api_world):
    from_the_rows_as_built(case, api_world)
    pin_path(case, api_world)
    case.call_and_validate(excluded_checks=excluded(case))


def test_api_statefully_as_the_office(live_schema, api_world):
    token = api_world.office_token

    class Office(live_schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"headers": {"Authorization": f"Token {token}"}}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            # `headers`: the credentials are ours, so `ignored_auth` retries the call without them.
            case.validate_response(
                response,
                additional_checks=additional_checks,
                excluded_checks=excluded(case),
                headers=kwargs.get("headers"),
                transport_kwargs=kwargs or None,
                recorder=getattr(self, "recorder", None),
            )

    run_state_machine_as_test(
        Office,
        settings=settings(BOUNDED, max_examples=max(MAX_EXAMPLES // 5, 2), stateful_step_count=4),
    )
