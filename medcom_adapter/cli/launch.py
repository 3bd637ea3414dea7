"""``launch``: try the button by hand: post a launch request to a running service and print
the URL the worker's browser opens (docs/integration.md)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from medcom_adapter.cli.common import EXIT_INVALID, EXIT_OK, EXIT_USAGE, read_json

KEY_ENV = "MEDCOM_API_KEY"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    launch = commands.add_parser(
        "launch", help="post a launch request (JSON) to the service; print the launch URL")
    launch.add_argument("--request", type=Path, required=True, metavar="FILE",
                        help="the body of POST /api/launch, e.g. "
                             "fixtures/requests/launch.json")
    launch.add_argument("--service", default="http://127.0.0.1:8080", metavar="URL",
                        help="the service's address (default http://127.0.0.1:8080)")
    launch.add_argument("--key", default=None,
                        help=f"API key with the launch scope (default ${KEY_ENV})")
    launch.set_defaults(run=_launch)


def _launch(args: argparse.Namespace) -> int:
    import httpx

    key = args.key or os.environ.get(KEY_ENV)
    if not key:
        print(f"medcom-adapter: give an API key with --key or {KEY_ENV}", file=sys.stderr)
        return EXIT_USAGE
    body = read_json(args.request)
    if body is None:
        return EXIT_USAGE
    try:
        response = httpx.post(f"{args.service.rstrip('/')}/api/launch", json=body,
                              headers={"Authorization": f"Bearer {key}"}, timeout=30)
    except httpx.HTTPError as exc:
        print(f"medcom-adapter: {args.service}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if response.status_code == 201:
        print(response.json()["url"])
        return EXIT_OK
    try:
        problem = response.json()
        lines = [f"{problem['code']}: {problem['title']}"] + [
            f"  {e['path'] or '(body)'}: {e['code']}: {e['detail']}"
            for e in problem.get("errors", [])]
    except (ValueError, KeyError, TypeError):
        lines = [f"HTTP {response.status_code}"]
    print("medcom-adapter: " + "\n".join(lines), file=sys.stderr)
    return EXIT_INVALID
