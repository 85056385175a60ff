"""``make run``: the whole of wacast on one machine, with no AWS account and no Docker.

moto's server stands in for DynamoDB, SQS, S3 and SES; the Chalice app serves
REST under /api; a local gateway plays API Gateway's WebSocket API; an SQS pump
and a ticker play Lambda's event sources; one agent with the OpenWA simulator
plays a Mac mini. Everything lives in memory and is gone when it stops.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger("localstack")
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Ports:
    http: int = int(os.environ.get("WACAST_HTTP_PORT", "8000"))
    ws: int = int(os.environ.get("WACAST_WS_PORT", "8001"))
    aws: int = int(os.environ.get("WACAST_AWS_PORT", "8002"))
    host: str = os.environ.get("WACAST_HOST", "127.0.0.1")

    def taken(self) -> list[str]:
        problems = []
        for label, port in (
            ("HTTP (WACAST_HTTP_PORT)", self.http),
            ("WebSocket (WACAST_WS_PORT)", self.ws),
            ("AWS emulator (WACAST_AWS_PORT)", self.aws),
        ):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    probe.bind((self.host, port))
                except OSError:
                    problems.append(f"port {port} for {label} is already in use")
        return problems


@dataclass
class Stack:
    ports: Ports = field(default_factory=Ports)
    stop_event: threading.Event = field(default_factory=threading.Event)
    parts: list[Any] = field(default_factory=list)
    demo: dict[str, str] = field(default_factory=dict)
    agent_process: subprocess.Popen[bytes] | None = None
    agent_dir: str | None = None
    local_stripe: bool = False

    def prepare_environment(self) -> None:
        env = os.environ
        env.setdefault("AWS_ACCESS_KEY_ID", "local")
        env.setdefault("AWS_SECRET_ACCESS_KEY", "local")
        env.setdefault("AWS_REGION", "us-east-1")
        env.setdefault("AWS_DEFAULT_REGION", env["AWS_REGION"])
        env["AWS_ENDPOINT_URL"] = f"http://{self.ports.host}:{self.ports.aws}"
        env.setdefault("WACAST_STAGE", "dev")
        env.setdefault("WACAST_APP_URL", f"http://{self.ports.host}:{self.ports.http}")
        env["WACAST_WS_DOMAIN"] = f"{self.ports.host}:{self.ports.ws}"
        from infra.local.billing_provider import configure_environment

        self.local_stripe = configure_environment(
            env, f"http://{self.ports.host}:{self.ports.http}"
        )

    def start(self) -> None:
        started = time.perf_counter()
        problems = self.ports.taken()
        if problems:
            raise SystemExit(
                "wacast cannot start: "
                + "; ".join(problems)
                + ". Stop what uses it, or choose another port through the variable named."
            )
        self.prepare_environment()
        self._start_aws()
        import app as app_module
        from chalicelib.bootstrap import bootstrap

        app = app_module.app
        self._seed_demo()
        self._start_ws_gateway(app)
        bootstrap(app)  # app.py did already; explicit, as every entry point
        self._start_http(app)
        self._start_event_sources(app)
        if os.environ.get("WACAST_LOCAL_AGENT", "1") != "0":
            self._start_agent()
        log.info("ready in %.1f s; stop with Ctrl-C", time.perf_counter() - started)

    def _start_aws(self) -> None:
        from moto.server import ThreadedMotoServer

        from infra.local.moto_atomic import serialise_dynamodb_writes
        from infra.local.moto_partitions import fast_partition_queries
        from infra.local.stats import count_dynamodb_requests

        serialise_dynamodb_writes()
        fast_partition_queries()
        count_dynamodb_requests()
        server = ThreadedMotoServer(ip_address=self.ports.host, port=self.ports.aws, verbose=False)
        server.start()
        self.parts.append(server)
        from infra.local.provision import provision_all

        provision_all()
        log.info(
            "aws       %s  (moto: DynamoDB, SQS, S3, SES; in memory)",
            os.environ["AWS_ENDPOINT_URL"],
        )

    def _start_ws_gateway(self, app: Any) -> None:
        from infra.local.lambda_runtime import invoke
        from infra.local.ws_gateway import ManagementSession, WsGateway

        def call(route: str, event: dict[str, Any]) -> Any:
            return invoke(app, app.websocket_handlers[route].name, event)

        gateway = WsGateway(call, self.ports.host, self.ports.ws, os.environ["WACAST_STAGE"])
        gateway.start()
        self.parts.append(gateway)
        app.websocket_api.session = ManagementSession(
            f"http://{self.ports.host}:{self.ports.ws}", os.environ["AWS_REGION"]
        )
        log.info("websocket %s  (agents connect here)", gateway.url)

    def _start_http(self, app: Any) -> None:
        from infra.local.http_server import create_server

        static = Path(os.environ.get("WACAST_WEB_DIST", ROOT / "web" / "dist"))
        billing = self._local_billing()
        # /dev/mail and /dev/billing show every user's mail and subscriptions: they
        # need this key (or an administrator's token), and answer loopback only.
        self.dev_key = secrets.token_urlsafe(16)
        server = create_server(
            app, self.ports.host, self.ports.http, static, mailbox, billing, self.dev_key
        )
        thread = threading.Thread(target=server.server.serve_forever, name="http", daemon=True)
        thread.start()
        self.parts.append(server)
        base = f"http://{self.ports.host}:{self.ports.http}"
        log.info("api       %s/api  (OpenAPI at /api/openapi.json)", base)
        log.info("web       %s/", base)
        log.info("mailbox   %s/dev/mail?key=%s", base, self.dev_key)
        if billing is not None:
            log.info(
                "billing   %s/dev/billing?key=%s  (local Stripe: checkout, fail, pay, cancel)",
                base,
                self.dev_key,
            )
        else:
            log.info("billing   Stripe (STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET are set)")
        log.info(
            "dev pages (/dev/…, ws /@connections) answer this machine (loopback) only; "
            "the key above, or the demo admin's token, opens /dev/mail and /dev/billing"
        )

    def _local_billing(self) -> Any:
        if not self.local_stripe:
            return None
        from infra.local.billing_provider import (
            FakeStripe,
            LocalBilling,
            backdate_past_due,
            http_deliver,
            local_prices,
        )

        base = f"http://{self.ports.host}:{self.ports.http}"
        fake = FakeStripe(
            os.environ["STRIPE_WEBHOOK_SECRET"],
            base,
            local_prices(dict(os.environ)),
            http_deliver(f"{base}/api/webhooks/stripe"),
        )
        return LocalBilling(fake, backdate_past_due)

    def _start_event_sources(self, app: Any) -> None:
        from infra.local.events import SqsPump, Ticker, event_sources
        from infra.local.lambda_runtime import invoke

        sqs_sources, schedules = event_sources(app)
        region = os.environ["AWS_REGION"]
        for source in sqs_sources:
            pump = SqsPump(
                source, lambda name, event: invoke(app, name, event), region, self.stop_event
            )
            pump.start()
            self.parts.append(pump)
        ticker = Ticker(
            schedules, lambda name, event: invoke(app, name, event), region, self.stop_event
        )
        ticker.start()
        self.parts.append(ticker)
        log.info(
            "events    %d SQS handler(s) pumped, %d schedule(s) ticking",
            len(sqs_sources),
            len(schedules),
        )

    def _seed_demo(self) -> None:
        from chalicelib.auth import service

        email = os.environ.get("WACAST_DEMO_EMAIL", "demo@example.com")
        password = os.environ.get("WACAST_DEMO_PASSWORD", "wacast-demo-password")
        if service.find_user_by_email(email) is None:
            user = service.register(email, password, "Demo Admin", role="admin")
            from chalicelib.billing import accounts

            # The demo shows the product at work, not the free plan's 100 messages.
            accounts.grant_plan(user.user_id, "pro")
        self.demo = {"email": email, "password": password}
        log.info("demo      sign in as %s / %s (an admin)", email, password)

    def _start_agent(self) -> None:
        """One agent on this host, driving the OpenWA simulator (the production code path)."""
        import shlex
        import tempfile

        from chalicelib.agents import registry

        agent, token = registry.create_agent("local-mac-mini", capacity=20)
        self.agent_dir = tempfile.mkdtemp(prefix="wacast-agent-")
        auto_scan = os.environ.get("WACAST_SIM_AUTO_SCAN", "3")
        command = [sys.executable, "-m", "agent.openwa_sim"]
        if auto_scan not in ("", "0"):
            command += ["--sim-auto-scan", auto_scan]
        env = {
            **os.environ,
            "WACAST_SERVER_URL": f"ws://{self.ports.host}:{self.ports.ws}",
            "WACAST_AGENT_TOKEN": token,
            "WACAST_AGENT_DATA_DIR": self.agent_dir,
            "WACAST_OPENWA_COMMAND": os.environ.get("WACAST_LOCAL_OPENWA_COMMAND")
            or shlex.join(command),
            # Like OpenWA, the simulator opens new chats only with a licence key: the demo
            # number gets a stand-in key (agent-wide fallback) so its campaigns send.
            "WACAST_OPENWA_LICENSE_KEY": os.environ.get(
                "WACAST_LOCAL_OPENWA_LICENSE_KEY", "demo-simulator-licence"
            ),
        }
        self.agent_process = subprocess.Popen([sys.executable, "-m", "agent"], cwd=ROOT, env=env)
        log.info(
            "agent     %s (pid %d) with the OpenWA simulator%s",
            agent.agent_id,
            self.agent_process.pid,
            f", auto-scan after {auto_scan} s" if auto_scan not in ("", "0") else "",
        )

    def _stop_agent(self) -> None:
        import shutil

        process = self.agent_process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                log.warning("agent did not stop in 20 s; killing it")
                process.kill()
                process.wait()
        if self.agent_dir:
            shutil.rmtree(self.agent_dir, ignore_errors=True)

    def stop(self) -> None:
        self._stop_agent()
        self.stop_event.set()
        for part in reversed(self.parts):
            try:
                if hasattr(part, "server") and hasattr(part, "shutdown"):
                    part.shutdown()
                    part.server.server_close()
                elif hasattr(part, "stop"):
                    part.stop()
                elif isinstance(part, threading.Thread):
                    part.join(3)
            except Exception:
                log.exception("stopping %r failed", part)


def mailbox() -> list[dict[str, Any]]:
    """Emails moto's SES has accepted, oldest first."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    region = os.environ.get("AWS_REGION", "us-east-1")
    sent = ses_backends[DEFAULT_ACCOUNT_ID][region].sent_messages
    return [
        {
            "id": getattr(m, "id", ""),
            "source": m.source,
            "to": ", ".join(m.destinations.get("ToAddresses", [])),
            "subject": m.subject,
            "body": m.body,
        }
        for m in sent
    ]


def main() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(name)s %(message)s", datefmt="%H:%M:%S"
    )
    # The app logs JSON lines on stdout (Powertools); the stack's own lines stay plain.
    logging.getLogger("wacast").propagate = False
    for noisy in ("werkzeug", "botocore", "urllib3", "aiohttp.access", "pynamodb", "stripe"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    stack = Stack()
    finished = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        log.info("stopping (%s)", signal.Signals(signum).name)
        finished.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        stack.start()
    except SystemExit as error:
        log.error("%s", error)
        stack.stop()
        sys.exit(2)
    finished.wait()
    stack.stop()
    log.info("stopped")


if __name__ == "__main__":
    main()
