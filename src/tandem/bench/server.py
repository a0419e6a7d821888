"""Entry point of a benchmark server subprocess: ``python -m tandem.bench.server --app product ...``.

A separate process so the load generator and the server never share a core or a GIL. Settings come as
explicit overrides in a JSON file (mode 0600, it may hold a database password) rather than through the
environment, so the parent never has to read or rewrite ``os.environ``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

LOG_LEVEL = "warning"


def build_product_app(overrides: dict[str, Any]) -> Any:
    """The real product, exactly as ``tandem serve`` builds it."""
    from tandem.settings import load_settings
    from tandem.web.app import create_app

    return create_app(settings=load_settings(**overrides))


def build_bare_app() -> Any:
    from tandem.bench.bare import app

    return app


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--app", choices=["product", "bare"], required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--config", type=Path, help="JSON file with Settings overrides (product only).")
    parser.add_argument("--profile", type=Path, help="Write cProfile stats of the whole run to this file.")
    args = parser.parse_args(argv)
    if args.app == "product":
        overrides = json.loads(args.config.read_text()) if args.config else {}
        application = build_product_app(overrides)
    else:
        application = build_bare_app()
    # Same server options for both apps; the access log is off as in production behind a proxy.
    if args.profile is None:
        uvicorn.run(application, host=args.host, port=args.port, log_level=LOG_LEVEL, access_log=False)
        return
    import cProfile
    import signal

    def _exit(_signum: int, _frame: object) -> None:
        raise SystemExit(0)

    # uvicorn re-raises SIGTERM after a graceful shutdown; exiting through Python lets us dump the stats.
    signal.signal(signal.SIGTERM, _exit)
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        uvicorn.run(application, host=args.host, port=args.port, log_level=LOG_LEVEL, access_log=False)
    finally:
        profiler.disable()
        profiler.dump_stats(args.profile)


if __name__ == "__main__":
    main()
