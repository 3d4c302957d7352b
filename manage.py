#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "winteraction.settings")
    if not os.environ.get("SECRET_KEY"):
        # No SECRET_KEY configured: a developer's checkout, so a local run (DEBUG on, a key
        # generated in var/). Production sets SECRET_KEY, and DEBUG stays off unless it says so.
        os.environ.setdefault("DEBUG", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
