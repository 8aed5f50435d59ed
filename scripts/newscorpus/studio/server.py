"""A local Label Studio server: 127.0.0.1 only, its data in one folder, no analytics, no version check.

`start_server` is used by `newscorpus studio serve` and by the test fixtures alike. The admin user and
its legacy API token are passed to Label Studio through its own environment variables
(LABEL_STUDIO_USERNAME, LABEL_STUDIO_PASSWORD, LABEL_STUDIO_USER_TOKEN), never on the command line, so
they do not show in `ps`; they act only when the data folder has no such user yet.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import RemoteError, SetupError

HOST = "127.0.0.1"
# Variables that Label Studio also reads under their bare names (get_env('X') reads LABEL_STUDIO_X, HEARTEX_X, X).
_BARE = ("USERNAME", "PASSWORD", "PORT", "HOST", "USER_TOKEN")


def label_studio_executable() -> str:
    """The `label-studio` program next to this Python, or on PATH; InputError if the extra is not installed."""
    here = Path(sys.executable).parent / "label-studio"
    if here.is_file():
        return str(here)
    found = shutil.which("label-studio")
    if found:
        return found
    raise SetupError("label-studio is not installed: pip install 'newscorpus[studio]'")


def studio_env(home: Path, data_dir: Path, username: str | None = None, password: str | None = None,
               token: str | None = None, base: dict | None = None) -> dict:
    """The environment of a Label Studio process: isolated HOME and XDG folders, offline, no telemetry."""
    env = dict(os.environ if base is None else base)
    for name in _BARE:
        env.pop(name, None)
    for name in ("LABEL_STUDIO_USERNAME", "LABEL_STUDIO_PASSWORD", "LABEL_STUDIO_USER_TOKEN", "LABEL_STUDIO_PORT",
                 "LABEL_STUDIO_HOST", "LABEL_STUDIO_API_KEY", "LABEL_STUDIO_URL"):
        env.pop(name, None)
    home = Path(home)
    env.update({
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "LABEL_STUDIO_BASE_DATA_DIR": str(Path(data_dir).resolve()),
        "LATEST_VERSION_CHECK": "false",
        "COLLECT_ANALYTICS": "false",
        "SENTRY_DSN": "",
        "FRONTEND_SENTRY_DSN": "",
        "FEATURE_FLAGS_OFFLINE": "true",
        "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
        "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
        "PYTHONUNBUFFERED": "1",
    })
    if username:
        env["LABEL_STUDIO_USERNAME"] = username
    if password:
        env["LABEL_STUDIO_PASSWORD"] = password
    if token:
        env["LABEL_STUDIO_USER_TOKEN"] = token
    return env


def port_is_free(port: int, host: str = HOST) -> bool:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True


def free_port(host: str = HOST) -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health/", timeout=timeout) as resp:
            return resp.status == 200 and b"UP" in resp.read()
    except (urllib.error.URLError, OSError, ValueError):
        return False


@dataclass
class Server:
    """A Label Studio process that this program started; stop() ends it by its pid."""

    process: subprocess.Popen
    url: str
    port: int
    data_dir: Path
    log_path: Path
    _log: object = field(default=None, repr=False)

    @property
    def pid(self) -> int:
        return self.process.pid

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM the server's process group (Label Studio runs no children, but be sure), wait, SIGKILL if needed."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        if self._log is not None:
            self._log.close()
            self._log = None
        return self.process.returncode

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def start_server(data_dir: Path, home: Path | None = None, port: int | None = None, username: str | None = None,
                 password: str | None = None, token: str | None = None, log_path: Path | None = None,
                 timeout: float = 240.0, progress=None) -> Server:
    """Start Label Studio on 127.0.0.1:`port` (a free port if None) with its data in `data_dir`, wait until
    /health/ answers on that very port, and return the Server. A fresh data folder migrates first (70-90 s);
    a copied one starts in about 10 s. RemoteError if it dies or does not answer in `timeout` seconds."""
    exe = label_studio_executable()
    data_dir = Path(data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    home = Path(home or data_dir.parent / "home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    if not port_is_free(port):
        # Label Studio would silently move to the next port; refuse instead
        raise RemoteError(f"port {port} on {HOST} is in use; choose another with --port")
    log_path = Path(log_path or data_dir.parent / "label-studio.log")
    log = open(log_path, "ab")
    env = studio_env(home, data_dir, username, password, token)
    cmd = [exe, "start", "--no-browser", "--internal-host", HOST, "--port", str(port), "--enable-legacy-api-token"]
    proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                            cwd=str(data_dir), start_new_session=True)
    server = Server(proc, f"http://{HOST}:{port}", port, data_dir, log_path, log)
    deadline = time.monotonic() + timeout
    try:
        while True:
            if healthy(server.url, timeout=1.0):
                return server
            if not server.running():
                tail = server.log_tail()
                raise RemoteError(f"label-studio exited with code {proc.returncode} before answering; see {log_path}"
                                  + (f": {tail.splitlines()[-1]}" if tail else ""))
            if time.monotonic() > deadline:
                raise RemoteError(f"label-studio did not answer on {server.url} within {timeout:.0f} s; see {log_path}")
            if progress:
                progress()
            time.sleep(0.3)
    except BaseException:
        server.stop()
        raise


def copy_data_dir(template: Path, target: Path) -> Path:
    """A copy of a migrated data folder (SQLite database and the .env with its SECRET_KEY), ~1.4 MB."""
    shutil.copytree(template, target, symlinks=True)
    return target


def serve_until_stopped(server: Server) -> int:
    """Wait in the foreground until the server exits, Ctrl-C or SIGTERM; then stop it. Returns its exit code."""
    def _term(signum, frame):
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGTERM, _term)
    try:
        server.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        code = server.stop()
        signal.signal(signal.SIGTERM, old)
    return code if code is not None else 0
