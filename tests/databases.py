"""A throwaway PostgreSQL server for the store tests, started from the installed server binaries
(Debian's ``postgresql`` package: ``initdb`` and ``pg_ctl``) in a temporary folder on a free port.

pytest-postgresql does the same, but its ``pg_ctl`` runs as the current user, and PostgreSQL
refuses to run as root, which is what CI is: as root the server runs as the ``postgres`` user
(``runuser``). Each test gets a database of its own (``CREATE DATABASE``), so no state crosses tests.
"""
from __future__ import annotations

import glob
import os
import socket
import subprocess
import uuid
from pathlib import Path

import psycopg

USER = "vitrine"


def server_binaries() -> Path | None:
    """The newest installed ``/usr/lib/postgresql/<version>/bin`` with ``initdb`` and ``pg_ctl``."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


class PostgresServer:
    def __init__(self, folder: Path, binaries: Path) -> None:
        self.folder, self.binaries = folder, binaries
        self.port = _free_port()
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def start(self) -> "PostgresServer":
        if self._as:
            subprocess.run(["chown", "postgres", str(self.folder)], check=True)
        self._run("initdb", "-D", str(self.folder / "data"), "-U", USER, "--auth=trust", "-E", "UTF8")
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-l", str(self.folder / "server.log"), "-w",
                  "-o", f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                        "-c max_connections=200", "start")
        return self

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "stop")

    def new_database(self) -> str:
        """The SQLAlchemy URL of a new, empty database."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user={USER} dbname=postgres", autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{name}"

    def _run(self, program: str, *args: str) -> None:
        subprocess.run([*self._as, str(self.binaries / program), *args], check=True, stdout=subprocess.DEVNULL)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
