"""Background processes the launcher owns: pid files, logs, readiness, clean stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psutil


class LauncherError(RuntimeError):
    """One line that names the cause and the fix."""


@dataclass(frozen=True)
class Managed:
    name: str
    state_dir: Path

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "run" / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "logs" / f"{self.name}.log"

    @property
    def marker(self) -> str:
        return f"{self.state_dir}:{self.name}"

    def pid(self) -> int | None:
        """The pid of our running process, or None (a stale pid file is removed)."""
        try:
            pid = int(self.pid_file.read_text())
        except (FileNotFoundError, ValueError):
            return None
        try:
            process = psutil.Process(pid)
            alive = process.is_running() and process.status() != psutil.STATUS_ZOMBIE
            # A recycled pid belongs to someone else: only stop what we started.
            ours = process.environ().get("CRM_MANAGED") == self.marker
        except psutil.AccessDenied:
            alive, ours = True, False
        except psutil.Error:
            alive, ours = False, False
        if alive and ours:
            return pid
        self.pid_file.unlink(missing_ok=True)
        return None

    def start(
        self, argv: list[str], env: dict[str, str] | None = None, cwd: Path | None = None
    ) -> int:
        private_dir(self.state_dir)
        self.pid_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.log_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            process = subprocess.Popen(
                argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **(env or {}), "CRM_MANAGED": self.marker},
                cwd=cwd,
                start_new_session=True,  # Ctrl-C in the terminal reaches only the launcher
                umask=0o077,  # its data files (SQLite, Kafka logs) are the owner's alone
            )
        self.pid_file.write_text(str(process.pid))
        return process.pid

    def stop(self, timeout_s: float = 20.0) -> bool:
        pid = self.pid()
        if pid is None:
            return False
        try:
            process = psutil.Process(pid)
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=timeout_s)
            except psutil.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        except psutil.NoSuchProcess:
            pass
        self.pid_file.unlink(missing_ok=True)
        return True

    def wait_until(self, ready: Callable[[], bool], what: str, timeout_s: float) -> None:
        pid = int(self.pid_file.read_text())
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not _alive(pid):
                raise LauncherError(f"{self.name} exited while starting: see {self.log_file}")
            if ready():
                return
            time.sleep(0.25)
        raise LauncherError(f"{self.name} not {what} after {timeout_s:.0f}s: see {self.log_file}")


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def ensure_port_free(host: str, port: int, setting: str) -> None:
    if port_open(host, port):
        raise LauncherError(
            f"port {port} on {host} is taken by another process: set {setting} to a free port"
        )


def private_dir(path: Path) -> None:
    """`path` and its missing parents, readable by their owner only (the profile's state holds
    the token secret, the store's files and the broker's logs, all unauthenticated locally)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
