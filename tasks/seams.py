"""Where an app above tasks adds to what tasks reads and shows, without tasks importing it.

Dependencies go one way: supervision → tasks, never back (import-linter checks it in `make lint`;
docs/architecture.md). Two things tasks needs come from above, and the upper app registers them here
in its AppConfig.ready():

- `access_scopes`: more subtrees a person reads besides their home region: a supervision group's
  scope for its members. Each source is SQL taking the person's id as its one `%s` parameter and
  answering rows of (unit path, special action id or NULL for all of them). tasks.selectors runs them
  in the same statement as the home region's lookup, so access stays one query.
- `workspace_panels`: what the 工作台 shows besides tasks. Each is a function (user) → a dict with
  `template` and the panel's context, or None to show nothing; the page includes each template.
- `task_page_actions`: steps the task page offers beside its own (supervision: 催办), by name
  (`PageAction`).
- `handoff_listeners`: told of every handoff in tasks/services.py (a task assigned or reassigned, a
  close-out returned, an extension decided, a 批示), inside the service's transaction, as a list of
  `Handoff` (one, or many at once inside `handoffs_told_together()`: an import of a 清单 tells its
  hundreds of assignments in a few statements, not a few per task). Supervision's listener puts
  them in the inboxes and the outbox of the people now holding the work.
- `close_out_warnings`: what is still open on a task besides its milestones, listed on the 申请销号
  form. Each is a function (user, task) → a list of `CloseOutWarning` (supervision: the 督办单 on
  the task not yet closed out). The page asks them only when it offers the form.
- `change_listeners`: told of every step on a task's timeline (`Change`: the task and its TaskEvent),
  inside the service's transaction; inside `handoffs_told_together()` they are told of all of them at
  once, at the end. Supervision records its outbound webhook events from them (supervision/webhooks.py).
"""

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class ScopeSource:
    sql: Callable[[], str]  # built lazily: table names are known only once the apps are ready


@dataclass(frozen=True)
class PageAction:
    """A step another app offers on the task page (tasks/views/task_page.py), beside the task's own.

    - `may(user, task)`: the person check; a POST from anyone else is a 403 (`page_action_task`);
    - `can(user, task)`: whether the page offers the step (the person and the task's status). Both are
      pure predicates, asked per page without a query: the page's query count stays fixed;
    - `template`: included in the page's 办理 card with `action` = {"url", "form", "open"}: the URL
      of `url_name` for the task, the bound form after a failed POST (else None), and whether the
      form is open;
    - the step's POST goes to the app's own view (at `url_name`), which answers with
      `task_page.answer_action`, as the page's own steps do.
    """

    name: str
    template: str
    url_name: str
    may: Callable
    can: Callable


@dataclass(frozen=True)
class Handoff:
    """Work passing from one side to another, as tasks/services.py records it. A listener runs inside
    the service's transaction: what it writes commits or rolls back with the change.

    - `kind`: what happened: "task_assigned", "task_returned", "extension_approved",
      "extension_rejected" or "instruction";
    - `task` and `event`: the task and the TaskEvent on its timeline that records the step. The event's
      id makes the handoff's identity: the same event told twice is told once;
    - `units`: the units now holding the work (the lead unit, the requesting unit); `cooperating`:
      units taking part as 配合单位; `people`: persons told by name (a new responsible leader);
    - `note`: what the actor wrote (the reason, the 批示); `by`: who acted.
    """

    kind: str
    task: object
    event: object
    units: tuple[int, ...] = ()
    cooperating: tuple[int, ...] = ()
    people: tuple[int, ...] = ()
    note: str = ""
    by: object = None


@dataclass(frozen=True)
class CloseOutWarning:
    """One open item the 申请销号 form lists (a warning: the request stays allowed)."""

    text: str
    url: str = ""


@dataclass(frozen=True)
class Change:
    """A step on a task's timeline, as tasks/services.py records it (`event` is the TaskEvent)."""

    task: object
    event: object


access_scopes: list[ScopeSource] = []
workspace_panels: list[Callable[..., dict | None]] = []
task_page_actions: dict[str, PageAction] = {}
handoff_listeners: list[Callable[[Sequence[Handoff]], None]] = []
close_out_warnings: list[Callable[..., list[CloseOutWarning]]] = []
change_listeners: list[Callable[[Sequence[Change]], None]] = []


# ---- Handoffs told one by one, or together ---------------------------------------------------------

_collected: ContextVar[list[Handoff] | None] = ContextVar("handoffs_collected", default=None)
_changes: ContextVar[list[Change] | None] = ContextVar("changes_collected", default=None)


def tell(handoff: Handoff) -> None:
    """Tell the listeners of one handoff now, or keep it for the end of `handoffs_told_together()`."""
    collected = _collected.get()
    if collected is not None:
        collected.append(handoff)
        return
    for listener in handoff_listeners:
        listener([handoff])


def announce(change: Change) -> None:
    """Tell the change listeners of one timeline step now, or keep it for `handoffs_told_together()`."""
    collected = _changes.get()
    if collected is not None:
        collected.append(change)
        return
    for listener in change_listeners:
        listener([change])


@contextmanager
def handoffs_told_together() -> Iterator[None]:
    """Inside, handoffs (and timeline changes) are collected; at the end (still inside the caller's
    transaction) the listeners get them all at once. An exception tells nobody: the transaction rolls
    back anyway."""
    if _collected.get() is not None:  # already collecting: the outer block tells them
        yield
        return
    collected: list[Handoff] = []
    changes: list[Change] = []
    token = _collected.set(collected)
    changes_token = _changes.set(changes)
    try:
        yield
    finally:
        _collected.reset(token)
        _changes.reset(changes_token)
    if collected:
        for listener in handoff_listeners:
            listener(collected)
    if changes:
        for listener in change_listeners:
            listener(changes)
