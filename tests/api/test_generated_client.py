"""A Python client generated from /api/schema/ by openapi-python-client (as an integrator would make
one) works against the running app: it pages through the task sync and posts a progress report as
JSON. The client is generated into tmp_path at test time; no generated code is kept in the repository.

The generator's post-hooks (ruff/black formatting) are switched off: they change nothing that runs.
Download media types (PDF, DOCX, XLSX, CSV, an attachment's `*/*`) are mapped to
application/octet-stream, so the generator gives those operations a binary `File` response
(docs/api.md shows the same config).
"""

import importlib
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tasks import selectors
from tasks.models import ProgressReport

pytestmark = pytest.mark.slow

PACKAGE = "winteraction_client"
CONFIG = """\
project_name_override: winteraction-client
package_name_override: winteraction_client
post_hooks: []
content_type_overrides:
  "*/*": application/octet-stream
  text/csv: application/octet-stream
  application/pdf: application/octet-stream
  application/vnd.openxmlformats-officedocument.spreadsheetml.sheet: application/octet-stream
  application/vnd.openxmlformats-officedocument.wordprocessingml.document: application/octet-stream
"""


@pytest.fixture
def generated_client(live_server, tmp_path, monkeypatch):
    """The package openapi-python-client generates from the live schema, imported from tmp_path."""
    request = urllib.request.Request(
        f"{live_server.url}/api/schema/", headers={"Accept": "application/vnd.oai.openapi+json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        (tmp_path / "openapi.json").write_bytes(response.read())
    (tmp_path / "config.yaml").write_text(CONFIG)
    generator = Path(sys.executable).with_name("openapi-python-client")
    result = subprocess.run(
        [
            str(generator),
            "generate",
            "--path",
            str(tmp_path / "openapi.json"),
            "--config",
            str(tmp_path / "config.yaml"),
            "--meta",
            "none",
            "--output-path",
            str(tmp_path / PACKAGE),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # Every operation and response was understood: the generator warns about what it leaves out.
    assert "WARNING" not in result.stdout + result.stderr, result.stdout + result.stderr
    monkeypatch.syspath_prepend(str(tmp_path))
    yield importlib.import_module(PACKAGE)
    for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
        del sys.modules[name]


def test_generated_client_syncs_every_task_and_posts_a_json_progress_report(
    generated_client, live_server, world, make_token, settings
):
    settings.API_SYNC_SETTLE_SECONDS = 0  # rows written a moment ago are in the sync at once
    tasks = [world.task(title=f"煤矿隐患排查第{n}批") for n in range(5)]
    visible = set(selectors.tasks_visible_to(world.wanan_official).values_list("pk", flat=True))
    from winteraction_client import AuthenticatedClient
    from winteraction_client.api.tasks import (
        tasks_list,
        tasks_progress_reports_create,
        tasks_progress_reports_list,
    )
    from winteraction_client.models import PaginatedTaskListSync, ProgressReportCreateRequest
    from winteraction_client.models import ProgressReport as ProgressReportModel

    client = AuthenticatedClient(
        base_url=live_server.url,
        token=make_token(world.wanan_official),
        prefix="Token",
        raise_on_unexpected_status=True,
    )

    synced, cursor, pages = [], None, 0
    while True:
        page = tasks_list.sync(
            client=client, sync=True, page_size=2, **({"cursor": cursor} if cursor else {})
        )
        pages += 1
        assert isinstance(page, PaginatedTaskListSync), page  # not the numbered page, nor an error
        synced += [task.id for task in page.results]
        cursor = page.resume
        if page.next_ is None:
            break
    assert sorted(synced) == sorted(visible)  # each once
    assert len(visible) == 5 and pages == 3

    report = tasks_progress_reports_create.sync(
        tasks[0].pk,
        client=client,
        body=ProgressReportCreateRequest(percent=40, done="排查井下隐患3处", problems="通风记录缺失"),
    )

    assert isinstance(report, ProgressReportModel), report
    saved = ProgressReport.objects.get(pk=report.id)
    assert (saved.task_id, saved.percent, saved.done) == (tasks[0].pk, 40, "排查井下隐患3处")
    listed = tasks_progress_reports_list.sync(tasks[0].pk, client=client)
    assert [r.id for r in listed] == [report.id]
    changed = tasks_list.sync(client=client, cursor=cursor)
    assert [(task.id, task.progress) for task in changed.results] == [(tasks[0].pk, 40)]
