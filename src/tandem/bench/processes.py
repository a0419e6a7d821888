"""Benchmark servers in subprocesses, and a scratch PostgreSQL database that the bench alone uses."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tandem.bench.errors import BenchError
from tandem.bench.load import Transport

READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0


@dataclass
class ServerProcess:
    name: str
    base_url: str
    process: asyncio.subprocess.Process
    log_path: Path


def free_port(host: str = "127.0.0.1") -> int:
    """A port the OS says is free now (a small race with other programs, acceptable for a benchmark)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _kept_log(server: ServerProcess) -> Path:
    """Copy a failed server's log out of the temporary directory, which is about to be removed."""
    kept = Path(tempfile.gettempdir()) / f"tandem-bench-{server.name}-{os.getpid()}.log"
    with contextlib.suppress(OSError):
        shutil.copyfile(server.log_path, kept)
    return kept


def _log_tail(path: Path, lines: int = 1) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(line.strip() for line in text[-lines:])[:300]


async def start_server(
    *,
    name: str,
    app: str,
    workdir: Path,
    transport: Transport,
    settings: dict[str, Any] | None = None,
    ready_timeout: float = READY_TIMEOUT_S,
    profile: Path | None = None,
) -> ServerProcess:
    """Start ``python -m tandem.bench.server`` and wait until ``/readyz`` answers 200."""
    host = "127.0.0.1"
    port = free_port(host)
    command = [sys.executable, "-m", "tandem.bench.server", "--app", app, "--host", host, "--port", str(port)]
    if settings is not None:
        config = workdir / f"{name}-settings.json"
        config.touch(mode=0o600)
        config.write_text(json.dumps({**settings, "host": host, "port": port}))
        command += ["--config", str(config)]
    if profile is not None:
        command += ["--profile", str(profile)]
    log_path = workdir / f"{name}.log"
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
            cwd=workdir,
            start_new_session=True,  # Ctrl-C reaches us only; we stop the server in order
        )
    server = ServerProcess(name=name, base_url=f"http://{host}:{port}", process=process, log_path=log_path)
    try:
        await _wait_ready(server, transport=transport, timeout=ready_timeout)
    except BaseException:
        await stop_server(server)
        raise
    return server


async def _wait_ready(server: ServerProcess, *, transport: Transport, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if server.process.returncode is not None:
            kept = _kept_log(server)
            raise BenchError(
                f"The {server.name} server exited with status {server.process.returncode} before it was ready: "
                f"{_log_tail(server.log_path) or 'no output'} (full log: {kept})."
            )
        try:
            status = await transport.get(f"{server.base_url}/readyz")
        except Exception as exc:  # not listening yet
            last = type(exc).__name__
        else:
            if status == 200:
                return
            last = f"/readyz answered {status}"
        await asyncio.sleep(0.2)
    kept = _kept_log(server)
    raise BenchError(
        f"The {server.name} server was not ready after {timeout:.0f} s ({last}); see its log: {kept}."
    )


async def stop_server(server: ServerProcess) -> None:
    """SIGTERM (uvicorn shuts down and the app closes its pools), SIGKILL if that takes too long."""
    process = server.process
    if process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), STOP_TIMEOUT_S)
    except BaseException:  # too slow, or we are being cancelled: never leave the server behind
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        if not isinstance(sys.exc_info()[1], TimeoutError):
            raise


# --- PostgreSQL ------------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def scratch_postgres_database(
    url: str, *, name: str | None = None, keep: bool = False
) -> AsyncIterator[str]:
    """Create ``tandem_bench_<pid>`` (or ``name``) on the server of ``url``, yield its URL, drop it
    afterwards. With ``keep``, an existing database of that name is used as it is and kept (a benchmark
    that reuses its generated data).

    The database named in ``url`` is only used to connect for CREATE/DROP DATABASE: the bench never
    reads or writes the user's data.
    """
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = name or f"tandem_bench_{os.getpid()}"
    if keep:
        with contextlib.suppress(BenchError):  # it exists already: reused
            await _admin(base, f'CREATE DATABASE "{name}"', action="create a database on")
    else:
        await _admin(base, f'DROP DATABASE IF EXISTS "{name}"', action="prepare")
        await _admin(base, f'CREATE DATABASE "{name}"', action="create a scratch database on")
    try:
        scratch = base.set(drivername="postgresql", database=name)
        yield scratch.render_as_string(hide_password=False)
    finally:
        if not keep:
            await _admin(
                base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', action="drop the scratch database on"
            )


async def _admin(base: Any, statement: str, *, action: str) -> None:
    import asyncpg

    where = base.render_as_string(hide_password=True)
    try:
        connection = await asyncpg.connect(
            host=base.host,
            port=base.port,
            user=base.username,
            password=base.password,
            database=base.database or "postgres",
            timeout=10,
        )
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BenchError(f"Cannot reach PostgreSQL at {where}: {reason[:200]}") from None
    try:
        await connection.execute(statement)
    except asyncpg.PostgresError as exc:
        raise BenchError(f"Cannot {action} PostgreSQL at {where}: {str(exc)[:200]}") from None
    finally:
        await connection.close()
