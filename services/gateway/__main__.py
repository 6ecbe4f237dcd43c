"""Serves the gateway over HTTP: `python -m services.gateway`; `--write-openapi` refreshes docs/openapi.json."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from pathlib import Path

from services.gateway.adapters.app import OPENAPI_PATH, openapi_text
from services.gateway.bootstrap import Settings, serve
from shared.telemetry import configure_telemetry


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m services.gateway", description=__doc__)
    parser.add_argument(
        "--write-openapi",
        nargs="?",
        const=str(OPENAPI_PATH),
        metavar="PATH",
        help=f"write the OpenAPI document (default {OPENAPI_PATH}) and exit",
    )
    arguments = parser.parse_args(argv)
    if arguments.write_openapi:
        Path(arguments.write_openapi).write_text(openapi_text(), encoding="utf-8")
        return
    settings = Settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s gateway %(name)s: %(message)s")
    # configure_telemetry reads only the tracing fields, which these settings share with ServiceSettings.
    provider = configure_telemetry("gateway", settings)  # type: ignore[arg-type]
    # uvicorn shuts down gracefully on SIGTERM, then raises the signal again; exiting through Python instead of
    # the default handler lets the span exporter flush below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        asyncio.run(serve(settings))
    finally:
        with contextlib.suppress(Exception):
            provider.shutdown()


main()
