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
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ScopeSource:
    sql: Callable[[], str]  # built lazily: table names are known only once the apps are ready


access_scopes: list[ScopeSource] = []
workspace_panels: list[Callable[..., dict | None]] = []
