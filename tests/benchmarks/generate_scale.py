"""`python -m tests.benchmarks.generate_scale`: a whole province of Winter Actions, for benchmarks
(tests/benchmarks/scale.py).

    python -m tests.benchmarks.generate_scale --counties 100 --tasks-per-county 10000 --seed 1

Run from the project's root, with the environment manage.py reads (DATABASE_URL). PostgreSQL only.
Refuses a database that has any data unless --reset, which empties every table first.

Benchmark tooling, not a command of the app: it sets Django up the way manage.py does and runs the
`Command` below; the tests call that `Command` through `call_command`.
"""

import datetime
import os
import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone


def positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Fill an empty PostgreSQL database with a realistic province for benchmarks: cities, counties and "
        "their units and people, one Winter Action per county, tasks with cooperating units, progress "
        "reports and timeline, supervision groups and orders. Same seed, sizes and --today: same rows."
    )

    def add_arguments(self, parser):
        parser.add_argument("--counties", type=positive, default=100, help="counties in the province (100)")
        parser.add_argument(
            "--tasks-per-county",
            type=positive,
            default=10_000,
            help="tasks in each county's campaign (10000)",
        )
        parser.add_argument(
            "--counties-per-city", type=positive, default=10, help="counties under each city (10)"
        )
        parser.add_argument("--seed", type=int, default=1, help="the same seed gives the same rows (1)")
        parser.add_argument(
            "--today",
            help="the day the data is generated for (YYYY-MM-DD, default today): the campaign runs from "
            "40 days before it to 50 days after, all history lies before it",
        )
        parser.add_argument(
            "--password", default="winteraction", help="everyone's password (one hash, computed once)"
        )
        parser.add_argument(
            "--jobs",
            type=positive,
            default=2,
            help="connections filling the big tables at once (2); with 1 the whole run is one transaction",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="TRUNCATE every table first (all data in the database is lost); without it the command "
            "refuses a database that has any rows",
        )

    def handle(self, *args, **options):
        # Imported here: the engine imports the models, which exist only once main() has set Django up.
        from tests.benchmarks.scale import ScaleError, Shape, generate

        today = timezone.localdate()
        if options["today"]:
            try:
                today = datetime.date.fromisoformat(options["today"])
            except ValueError:
                raise CommandError(f"--today must be YYYY-MM-DD, not {options['today']!r}") from None
        shape = Shape(
            counties=options["counties"],
            tasks_per_county=options["tasks_per_county"],
            counties_per_city=options["counties_per_city"],
            seed=options["seed"],
            today=today,
            password=options["password"],
        )
        quiet = options["verbosity"] == 0
        started = time.monotonic()
        try:
            counts = generate(
                shape,
                reset=options["reset"],
                stderr=None if quiet else self.stderr._out,
                jobs=options["jobs"],
            )
        except ScaleError as exc:
            raise CommandError(str(exc)) from exc
        if quiet:
            return
        seconds = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated {shape.counties} counties × {shape.tasks_per_county} tasks "
                f"(seed {shape.seed}, today {today.isoformat()}) in {seconds:.1f} s:"
            )
        )
        for label, count in counts.items():
            self.stdout.write(f"  {label:<20} {count:>10,}")
        self.stdout.write(
            f"Sign in as x001_office (x001's 督查室), x001_xianzhang (its county head) or x001_yingji "
            f"(a unit official); password {shape.password!r}."
        )


def main() -> None:
    # As manage.py does: a checkout without SECRET_KEY is a developer's, with DEBUG on.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "winteraction.settings")
    if not os.environ.get("SECRET_KEY"):
        os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()
    Command().run_from_argv(["python", "-m tests.benchmarks.generate_scale", *sys.argv[1:]])


if __name__ == "__main__":
    main()
