#!/usr/bin/env python3
"""A PNG of one part of a `codelength report` page, rendered by headless chromium.

    /usr/bin/python3 scripts/screenshot_report.py REPORT.html OUT.png [--section documents]
        [--width 960] [--height 640]

The picture starts at the heading of the section (compression, membership, mdl or documents)
and is width x height page pixels.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from headless_chromium import Browser  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("report")
    parser.add_argument("output")
    parser.add_argument("--section", default="documents")
    parser.add_argument("--width", type=int, default=960)
    parser.add_argument("--height", type=int, default=640)
    args = parser.parse_args()
    with Browser() as browser:
        page = browser.open("file://" + os.path.abspath(args.report), width=args.width, height=args.height)
        top = page.evaluate(f"(e => e && e.getBoundingClientRect().top + scrollY)("
                            f"document.getElementById({args.section!r}))")
        if top is None:
            sys.exit(f"screenshot_report.py: {args.report} has no section {args.section!r}")
        page.screenshot(args.output, clip=(0, max(0, top - 8), args.width, args.height))
        errors = page.console_errors
    if errors:
        sys.exit(f"screenshot_report.py: console errors: {errors}")
    print(f"{args.output}: {os.path.getsize(args.output)} bytes")


if __name__ == "__main__":
    main()
