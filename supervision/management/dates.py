"""The `--date YYYY-MM-DD` option of the commands that act as of a day (scan, cards, snapshots)."""

import argparse
import datetime


def iso_date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be YYYY-MM-DD, not {value!r}") from None


def add_date_argument(parser, help_text: str) -> None:
    parser.add_argument(
        "--date", type=iso_date, help=f"{help_text} (YYYY-MM-DD; default: today, Asia/Shanghai)"
    )
