"""Properties of every page at once: nothing loads from outside the site, and no UI string is left
untranslated in either language."""

import re
from html.parser import HTMLParser

import pytest

from tests.test_translations import po_entries

EXTERNAL = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)


class Page(HTMLParser):
    """The asset references and the visible text nodes of a page."""

    def __init__(self):
        super().__init__()
        self.assets: list[str] = []
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "img", "iframe", "source", "video", "audio") and attrs.get("src"):
            self.assets.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.assets.append(attrs["href"])
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.texts.append(" ".join(data.split()))


def parse(response) -> Page:
    page = Page()
    page.feed(response.content.decode())
    return page


def pages(world):
    """(user, url) for every HTML page, each seen by someone allowed to see it."""
    from tasks import services
    from tests.factories import days

    task = world.task(cooperating_units=[world.yingji], responsible_leader=world.leader, deadline=days(-2))
    services.progress_report(task=task, by=world.wanan_official, percent=30, done="已排查3处")
    services.milestone_add(task=task, by=world.office, title="完成排查", due_date=days(-3))
    services.extension_request(task=task, by=world.wanan_official, new_deadline=days(9), reason="雨雪天气")
    official, office = world.wanan_official, world.office
    inspector = world.inspector
    from supervision import services as supervision

    inspection = supervision.inspection_record(
        group=world.group,
        by=inspector,
        kind="on_site",
        date=days(0),
        summary="实地察看",
        units=[world.wanan],
        findings=[{"unit": world.wanan, "text": "台账未更新"}, {"unit": world.wanan, "text": "现场未整改"}],
    )
    order = supervision.order_issue(
        group=world.group,
        by=inspector,
        unit=world.wanan,
        problem="台账未更新",
        requirement="一周内补齐",
        deadline=days(7),
        tasks=[task],
        finding=inspection.findings.first(),
    )
    supervision.order_acknowledge(order=order, by=official)
    supervision.chase_task(task=task, by=office, note="请加快进度")
    return [
        (None, "/login/"),
        (official, "/"),
        (office, "/"),
        (world.leader, "/"),
        (official, "/tasks/"),
        (official, f"/tasks/{task.pk}/"),
        (office, f"/tasks/{task.pk}/"),
        (world.leader, f"/tasks/{task.pk}/"),
        (official, f"/tasks/{task.pk}/report/"),
        (official, "/account/password/"),
        (official, "/account/tokens/"),
        (office, "/audit/"),
        (office, "/office/"),
        (office, "/office/tasks/new/"),
        (office, f"/office/tasks/{task.pk}/edit/"),
        (office, "/supervision/"),
        (world.office, "/supervision/dashboard/"),
        (official, "/notifications/"),
        (inspector, "/supervision/groups/"),
        (office, "/supervision/groups/"),
        (inspector, "/supervision/inspections/"),
        (inspector, "/supervision/inspections/new/"),
        (inspector, f"/supervision/inspections/{inspection.pk}/"),
        (inspector, f"/supervision/orders/new/?unit={world.wanan.pk}&task={task.pk}"),
        (inspector, f"/supervision/orders/{order.pk}/"),
        (official, f"/supervision/orders/{order.pk}/"),
        (office, f"/supervision/orders/{order.pk}/print/"),
        (office, f"/supervision/units/{world.wanan.pk}/"),
        (office, "/supervision/cards/"),
        (office, "/supervision/dashboard/?screen=1"),
        (office, "/office/reminders/"),
        (office, "/office/calendar/?year=2026"),
        (office, "/office/endpoints/"),
        (office, "/office/deliveries/?state=failed"),
        (office, "/office/deliveries/?state=pending"),
    ]


def fetch(client, user, url, language):
    client.logout()
    if user is not None:
        client.force_login(user)
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200, (url, response.status_code)
    return response


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_no_page_loads_anything_from_outside_the_site(world, client, language):
    for user, url in pages(world):
        assets = parse(fetch(client, user, url, language)).assets
        assert [a for a in assets if EXTERNAL.match(a)] == [], url


def test_english_pages_show_no_chinese_ui_string(world, client):
    entries, _fuzzy = po_entries()
    chinese_ui = {msgid for msgid in entries if re.search(r"[\u4e00-\u9fff]", msgid)}
    for user, url in pages(world):
        texts = parse(fetch(client, user, url, "en")).texts
        assert sorted({t for t in texts if t in chinese_ui}) == [], url


def test_chinese_pages_show_no_english_ui_string(world, client):
    entries, _fuzzy = po_entries()
    english_ui = {msgstr for msgstr in entries.values() if msgstr and len(msgstr) > 2 and msgstr.isascii()}
    english_ui -= {"API", "Excel", "ETag", "English"}  # the same words in both languages
    for user, url in pages(world):
        texts = parse(fetch(client, user, url, "zh-hans")).texts
        assert sorted({t for t in texts if t in english_ui}) == [], url
