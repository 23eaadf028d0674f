"""Start a throw-away JupyterLab on 127.0.0.1 and drive it with headless Chromium (playwright).

Used by ``test_jupyterlab.py``. Nothing in the repository is modified: the server's root,
its config, data and runtime folders are all under a temporary directory, and the notebook
under test is a copy.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def ensure_chromium() -> str | None:
    """Path of the Debian chromium, installing it with apt when running as root.

    Returns None (with the reason printed) when it is missing and cannot be installed; never
    downloads browsers through ``playwright install``.
    """
    if CHROMIUM.exists():
        return None
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "chromium is not installed and this is not root: run `apt-get install -y chromium`"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "install", "-y", "chromium"], ["apt-get", "update"], ["apt-get", "install", "-y", "chromium"]):
        if CHROMIUM.exists():
            break
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=900, check=False)
    return None if CHROMIUM.exists() else "`apt-get install -y chromium` did not install /usr/bin/chromium"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JupyterLabServer:
    """``jupyter lab`` on a free 127.0.0.1 port with a random token and a temporary root.

    Use as a context manager; ``url(path)`` gives an authenticated URL.
    """

    def __init__(self, root: Path, venv_bin: Path, env: dict[str, str] | None = None):
        self.root = Path(root)
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.venv_bin = venv_bin
        self.extra_env = env or {}
        self.proc: subprocess.Popen | None = None
        self.log_path = self.root.parent / "jupyterlab.log"

    def url(self, path: str = "lab") -> str:
        sep = "&" if "?" in path else "?"
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}{sep}token={self.token}"

    def __enter__(self) -> "JupyterLabServer":
        home = self.root.parent / "home"
        for sub in ("config", "data", "runtime", "ipython"):
            (home / sub).mkdir(parents=True, exist_ok=True)
        # no "get notified about Jupyter news?" toast over the screenshot
        labconfig = home / "config" / "labconfig"
        labconfig.mkdir(parents=True, exist_ok=True)
        (labconfig / "page_config.json").write_text(
            json.dumps({"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}})
        )
        # the venv's share/jupyter holds the lab extensions (widgets manager); keep it on the path
        env = dict(
            os.environ,
            JUPYTER_CONFIG_DIR=str(home / "config"),
            JUPYTER_RUNTIME_DIR=str(home / "runtime"),
            IPYTHONDIR=str(home / "ipython"),
            JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
            PATH=f"{self.venv_bin}{os.pathsep}{os.environ.get('PATH', '')}",
            MPLBACKEND="Agg",
            **self.extra_env,
        )
        cmd = [
            str(self.venv_bin / "jupyter"),
            "lab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            "--ServerApp.open_browser=False",
            # no calls out of the machine: update checks and news off
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.news_url=",
            "--LabApp.extension_manager=readonly",
            "--ServerApp.terminals_enabled=False",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")  # CI containers run as root
        self._log = open(self.log_path, "wb")
        # own session, so teardown can end the server and the kernels it started (and only those)
        self.proc = subprocess.Popen(
            cmd, cwd=self.root, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self._wait_ready(timeout=120)
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.proc.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url("api/status"), timeout=5) as resp:
                    json.load(resp)
                    return
            except (urllib.error.URLError, OSError, ValueError):
                time.sleep(0.5)
        raise RuntimeError(f"jupyter lab did not answer within {timeout:.0f} s:\n{self.log()}")

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-6000:]
        except OSError:
            return ""

    def __exit__(self, *exc) -> None:
        if self.proc is None:
            return
        try:  # polite shutdown first: the server stops its kernels
            req = urllib.request.Request(self.url("api/shutdown"), method="POST", data=b"")
            urllib.request.urlopen(req, timeout=10).close()
            self.proc.wait(timeout=20)
        except Exception:
            pass
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)  # the session this test started
                self.proc.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self._log.close()


def venv_bin() -> Path:
    return Path(sys.executable).parent


def copy_notebook(src: Path, root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    dst = root / src.name
    shutil.copy2(src, dst)
    return dst
