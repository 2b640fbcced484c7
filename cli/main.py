"""Entry point of the `unmig` console script."""

from __future__ import annotations

import os

# Offline, Prefect's telemetry fills the log with errors; operators can still opt in.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from cli import doctor, ingest, parse, query, runs  # noqa: E402,F401 - registers the commands
from cli.app import app  # noqa: E402

__all__ = ["app"]

if __name__ == "__main__":
    app()
