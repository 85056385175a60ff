"""A local Stripe: the API calls wacast makes, a checkout page, and signed webhooks.

``make run`` without STRIPE_SECRET_KEY uses this. ``FakeStripe`` keeps customers,
checkout sessions, subscriptions and invoices in memory and answers the endpoints
our code calls (customers, checkout sessions, billing portal sessions, subscription
retrieve) in Stripe's wire format, so stripe-python parses them as it would
Stripe's. Its actions (pay a checkout, fail a payment, pay, renew, cancel) change
that state and send Stripe-format events, signed with the webhook secret, to
``/api/webhooks/stripe``, so the real handler runs.

The front door serves it at ``/dev/stripe/v1/...`` (the API), ``/dev/checkout/<id>``
(the checkout page with its Pay button) and ``/dev/billing`` (lifecycle buttons).
Tests run the same fake on its own port with ``serve()``.
"""

from __future__ import annotations

import html
import json
import logging
import re
import secrets
import threading
import time
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

log = logging.getLogger("localstack.billing")

API_VERSION = "2026-10-28.endive"
PERIOD_S = 30 * 86400
Deliver = Callable[[bytes, str], int]
Reply = tuple[int, dict[str, Any]]


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def decode_form(body: str) -> dict[str, Any]:
    """Stripe's form encoding (``a[b][0][c]=v``) back into nested dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+", key) or [key]
        node = root
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            node = child if isinstance(child, dict) else {}
        node[parts[-1]] = value
    return _lists(root)


def _lists(node: Any) -> Any:
    if isinstance(node, dict):
        if node and all(k.isdigit() for k in node):
            return [_lists(node[k]) for k in sorted(node, key=int)]
        return {k: _lists(v) for k, v in node.items()}
    return node


def stripe_error(status: int, message: str, kind: str = "invalid_request_error") -> Reply:
    return status, {"error": {"type": kind, "message": message}}


class FakeStripe:
    def __init__(
        self,
        webhook_secret: str,
        public_url: str,
        prices: dict[str, int] | None = None,
        deliver: Deliver | None = None,
        clock: Callable[[], int] = lambda: int(time.time()),
    ) -> None:
        self.webhook_secret = webhook_secret
        self.public_url = public_url.rstrip("/")
        self.prices = dict(prices or {})  # price id → monthly amount in cents
        self.deliver = deliver
        self.clock = clock
        self.customers: dict[str, dict[str, Any]] = {}
        self.sessions: dict[str, dict[str, Any]] = {}
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.invoices: dict[str, dict[str, Any]] = {}
        self.portal_sessions: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str]] = []
        self._idempotent: dict[str, tuple[int, dict[str, Any]]] = {}
        self.lock = threading.RLock()

    # --- the API ------------------------------------------------------------------

    def handle_api(
        self, method: str, path: str, body: str, headers: dict[str, str]
    ) -> tuple[int, dict[str, Any]]:
        auth = headers.get("authorization", "")
        if not auth.startswith("Bearer sk_"):
            return stripe_error(401, "Invalid API Key provided.", "authentication_error")
        params = decode_form(body) if body else {}
        key = headers.get("idempotency-key")
        with self.lock:
            self.requests.append((method, path))
            if method == "POST" and key and key in self._idempotent:
                return self._idempotent[key]
            result = self._route(method, path, params)
            if method == "POST" and key and result[0] < 500:
                self._idempotent[key] = result
            return result

    def _route(self, method: str, path: str, params: dict[str, Any]) -> Reply:
        parts = [p for p in path.split("/") if p]
        if parts[:1] != ["v1"]:
            return stripe_error(404, f"Unrecognized request URL ({method}: {path}).")
        rest = parts[1:]
        if rest == ["customers"] and method == "POST":
            return 200, self._create_customer(params)
        if len(rest) == 2 and rest[0] == "customers" and method == "GET":
            return self._get(self.customers, rest[1], "customer")
        if rest == ["checkout", "sessions"] and method == "POST":
            return self._create_session(params)
        if len(rest) == 3 and rest[:2] == ["checkout", "sessions"] and method == "GET":
            return self._get(self.sessions, rest[2], "checkout.session")
        if rest == ["billing_portal", "sessions"] and method == "POST":
            return self._create_portal(params)
        if len(rest) == 2 and rest[0] == "subscriptions" and method == "GET":
            return self._get(self.subscriptions, rest[1], "subscription")
        if len(rest) == 2 and rest[0] == "invoices" and method == "GET":
            return self._get(self.invoices, rest[1], "invoice")
        return stripe_error(404, f"Unrecognized request URL ({method}: {path}).")

    @staticmethod
    def _get(store: dict[str, dict[str, Any]], key: str, kind: str) -> Reply:
        found = store.get(key)
        if found is None:
            return stripe_error(404, f"No such {kind}: '{key}'")
        return 200, found

    def _create_customer(self, params: dict[str, Any]) -> dict[str, Any]:
        customer: dict[str, Any] = {
            "id": new_id("cus"),
            "object": "customer",
            "email": params.get("email"),
            "name": params.get("name"),
            "metadata": params.get("metadata") or {},
            "created": self.clock(),
            "livemode": False,
        }
        self.customers[customer["id"]] = customer
        return customer

    def _create_session(self, params: dict[str, Any]) -> Reply:
        customer = params.get("customer")
        if customer not in self.customers:
            return stripe_error(400, f"No such customer: '{customer}'")
        items = params.get("line_items") or []
        if params.get("mode") != "subscription" or len(items) != 1:
            return stripe_error(400, "This fake supports one subscription line item.")
        price = items[0].get("price")
        if price not in self.prices:
            return stripe_error(400, f"No such price: '{price}'")
        session_id = new_id("cs_test")
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": "subscription",
            "status": "open",
            "payment_status": "unpaid",
            "customer": customer,
            "client_reference_id": params.get("client_reference_id"),
            "metadata": params.get("metadata") or {},
            "subscription": None,
            "success_url": params.get("success_url"),
            "cancel_url": params.get("cancel_url"),
            "url": f"{self.public_url}/dev/checkout/{session_id}",
            "livemode": False,
            "_price": price,
            "_subscription_metadata": (params.get("subscription_data") or {}).get("metadata") or {},
        }
        self.sessions[session_id] = session
        return 200, self._public(session)

    def _create_portal(self, params: dict[str, Any]) -> Reply:
        customer = params.get("customer")
        if customer not in self.customers:
            return stripe_error(400, f"No such customer: '{customer}'")
        portal = {
            "id": new_id("bps"),
            "object": "billing_portal.session",
            "customer": customer,
            "return_url": params.get("return_url"),
            "url": "",
            "livemode": False,
        }
        # The session id in the URL is what lets its holder in (the local front door
        # asks anyone else for the key printed at start), as Stripe's URLs are secrets.
        portal["url"] = f"{self.public_url}/dev/billing?customer={customer}&session={portal['id']}"
        self.portal_sessions[portal["id"]] = portal
        return 200, portal

    @staticmethod
    def _public(obj: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in obj.items() if not k.startswith("_")}

    # --- actions (the checkout page's and /dev/billing's buttons) ------------------

    def complete_checkout(self, session_id: str) -> dict[str, Any]:
        """Pay a checkout: subscription + paid invoice, then the three events."""
        with self.lock:
            session = self.sessions[session_id]
            if session["status"] != "open":
                return session
            now = self.clock()
            sub = self._new_subscription(session, now)
            invoice = self._new_invoice(sub, "subscription_create", paid=True)
            sub["latest_invoice"] = invoice["id"]
            session.update(status="complete", payment_status="paid", subscription=sub["id"])
        self.emit("checkout.session.completed", self._public(session))
        self.emit("customer.subscription.created", sub)
        self.emit("invoice.paid", invoice)
        return session

    def fail_payment(self, subscription_id: str) -> None:
        """The renewal's charge fails: a new period's invoice stays open, past_due."""
        with self.lock:
            sub = self.subscriptions[subscription_id]
            self._advance(sub)
            invoice = self._new_invoice(sub, "subscription_cycle", paid=False)
            sub.update(status="past_due", latest_invoice=invoice["id"])
        self.emit("invoice.payment_failed", invoice)
        self.emit("customer.subscription.updated", sub)

    def pay_invoice(self, subscription_id: str) -> None:
        """The open invoice is paid (card updated / retried): active again."""
        with self.lock:
            sub = self.subscriptions[subscription_id]
            invoice = self.invoices[sub["latest_invoice"]]
            invoice.update(status="paid", amount_paid=invoice["amount_due"])
            sub["status"] = "active"
        self.emit("invoice.paid", invoice)
        self.emit("customer.subscription.updated", sub)

    def renew(self, subscription_id: str) -> None:
        """A period passes and its invoice is paid at once."""
        with self.lock:
            sub = self.subscriptions[subscription_id]
            self._advance(sub)
            invoice = self._new_invoice(sub, "subscription_cycle", paid=True)
            sub.update(status="active", latest_invoice=invoice["id"])
        self.emit("customer.subscription.updated", sub)
        self.emit("invoice.paid", invoice)

    def cancel_at_period_end(self, subscription_id: str, cancel: bool = True) -> None:
        with self.lock:
            sub = self.subscriptions[subscription_id]
            sub["cancel_at_period_end"] = cancel
        self.emit("customer.subscription.updated", sub)

    def end_subscription(self, subscription_id: str) -> None:
        """The period ends with the subscription cancelled (or cancel now)."""
        with self.lock:
            sub = self.subscriptions[subscription_id]
            sub.update(status="canceled", canceled_at=self.clock(), ended_at=self.clock())
        self.emit("customer.subscription.deleted", sub)

    def _new_subscription(self, session: dict[str, Any], now: int) -> dict[str, Any]:
        price = session["_price"]
        sub_id = new_id("sub")
        sub = {
            "id": sub_id,
            "object": "subscription",
            "customer": session["customer"],
            "status": "active",
            "cancel_at_period_end": False,
            "canceled_at": None,
            "ended_at": None,
            "created": now,
            "start_date": now,
            "metadata": dict(session["_subscription_metadata"]),
            "latest_invoice": None,
            "livemode": False,
            "items": {
                "object": "list",
                "data": [
                    {
                        "id": new_id("si"),
                        "object": "subscription_item",
                        "quantity": 1,
                        "price": {
                            "id": price,
                            "object": "price",
                            "unit_amount": self.prices[price],
                            "currency": "usd",
                            "recurring": {"interval": "month", "interval_count": 1},
                        },
                        "current_period_start": now,
                        "current_period_end": now + PERIOD_S,
                    }
                ],
                "has_more": False,
                "url": f"/v1/subscription_items?subscription={sub_id}",
            },
        }
        self.subscriptions[sub_id] = sub
        return sub

    @staticmethod
    def _advance(sub: dict[str, Any]) -> None:
        item = sub["items"]["data"][0]
        item["current_period_start"] = item["current_period_end"]
        item["current_period_end"] = item["current_period_start"] + PERIOD_S

    def _new_invoice(self, sub: dict[str, Any], reason: str, paid: bool) -> dict[str, Any]:
        item = sub["items"]["data"][0]
        amount = int(item["price"]["unit_amount"])
        invoice = {
            "id": new_id("in"),
            "object": "invoice",
            "customer": sub["customer"],
            "status": "paid" if paid else "open",
            "billing_reason": reason,
            "amount_due": amount,
            "amount_paid": amount if paid else 0,
            "currency": "usd",
            "period_start": item["current_period_start"],
            "period_end": item["current_period_end"],
            "parent": {
                "type": "subscription_details",
                "subscription_details": {
                    "subscription": sub["id"],
                    "metadata": dict(sub["metadata"]),
                },
            },
            "livemode": False,
        }
        self.invoices[invoice["id"]] = invoice
        return invoice

    # --- events ---------------------------------------------------------------------

    def event(self, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": new_id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": self.clock(),
            "type": kind,
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "data": {"object": json.loads(json.dumps(obj))},
        }

    def sign(self, payload: bytes, timestamp: int | None = None) -> str:
        from stripe import WebhookSignature

        return str(
            WebhookSignature.generate_signature_header(
                payload.decode("utf-8"), self.webhook_secret, timestamp
            )
        )

    def emit(self, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        event = self.event(kind, obj)
        with self.lock:
            self.events.append(event)
        if self.deliver is not None:
            payload = json.dumps(event).encode()
            status = self.deliver(payload, self.sign(payload))
            log.info("stripe event %s → webhook answered %s", kind, status)
        return event

    def send_again(self, event: dict[str, Any]) -> int:
        """Redeliver an event as Stripe does on retries (same id, new signature)."""
        assert self.deliver is not None
        payload = json.dumps(event).encode()
        return self.deliver(payload, self.sign(payload))


def http_deliver(webhook_url: str) -> Deliver:
    """Deliver events over HTTP, as Stripe does."""

    def deliver(payload: bytes, signature: str) -> int:
        request = urllib.request.Request(
            webhook_url,
            data=payload,
            method="POST",
            headers={"Content-Type": "application/json", "Stripe-Signature": signature},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)

    return deliver


# --- serving it -------------------------------------------------------------------------


def api_reply(
    fake: FakeStripe, method: str, path: str, body: bytes, headers: Any
) -> tuple[int, bytes]:
    lowered = {k.lower(): v for k, v in headers.items()}
    if method == "GET":
        query = urlsplit(path).query
        body = query.encode()
    status, payload = fake.handle_api(method, urlsplit(path).path, body.decode("utf-8"), lowered)
    return status, json.dumps(payload).encode()


def serve(fake: FakeStripe, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """The fake API alone on its own port (tests): base URL ``http://host:port``."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _any(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            status, payload = api_reply(fake, self.command, self.path, body, self.headers)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Request-Id", new_id("req"))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_DELETE = _any

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="fake-stripe", daemon=True).start()
    return server


class LocalBilling:
    """The front door's billing pages (local stack only)."""

    API_PREFIX = "/dev/stripe"

    def __init__(self, fake: FakeStripe, backdate: Callable[[str, int], None] | None = None):
        self.fake = fake
        self._backdate = backdate

    @staticmethod
    def handles(path: str) -> bool:
        return path.startswith(("/dev/stripe/", "/dev/checkout/", "/dev/billing"))

    def serve(self, handler: Any) -> None:
        """``handler`` is the front door's request handler (a BaseHTTPRequestHandler)."""
        split = urlsplit(handler.path)
        path = split.path
        length = int(handler.headers.get("content-length") or 0)
        body = handler.rfile.read(length) if length else b""
        if path.startswith(self.API_PREFIX + "/"):
            inner = handler.path[len(self.API_PREFIX) :]
            status, payload = api_reply(self.fake, handler.command, inner, body, handler.headers)
            handler._send_http_response(status, {"Content-Type": "application/json"}, payload)
            return
        match = re.fullmatch(r"/dev/checkout/([\w]+)(?:/(pay|cancel))?", path)
        if match:
            self._checkout(handler, match.group(1), match.group(2))
            return
        match = re.fullmatch(r"/dev/billing/(\w+)/(\w+)", path)
        if match and handler.command == "POST":
            self._action(handler, match.group(1), match.group(2))
            return
        if path == "/dev/billing":
            query = dict(parse_qsl(split.query))
            self._page(handler, query.get("customer"))
            return
        handler._send_http_response(404, {"Content-Type": "text/plain"}, "not found")

    def portal_ok(self, handler: Any) -> bool:
        """A billing-portal session's URL opens that customer's page and its buttons."""
        split = urlsplit(handler.path)
        portal = self.fake.portal_sessions.get(_session_of(handler.path))
        if portal is None:
            return False
        if split.path == "/dev/billing":
            return bool(dict(parse_qsl(split.query)).get("customer") == portal["customer"])
        match = re.fullmatch(r"/dev/billing/(\w+)/(\w+)", split.path)
        sub = self.fake.subscriptions.get(match.group(1)) if match else None
        return sub is not None and sub["customer"] == portal["customer"]

    @staticmethod
    def _redirect(handler: Any, url: str) -> None:
        handler._send_http_response(303, {"Location": url}, "")

    @staticmethod
    def _html(handler: Any, title: str, body: str) -> None:
        page = (
            "<!doctype html><html lang=en><meta charset=utf-8>"
            f"<title>{html.escape(title)}</title>"
            "<style>body{font:15px system-ui;max-width:46rem;margin:2rem auto;padding:0 1rem}"
            "button{font:inherit;padding:.4rem .9rem;margin:.2rem;cursor:pointer}"
            "table{border-collapse:collapse}td,th{padding:.3rem .6rem;border-bottom:1px solid #ddd;"
            "text-align:left}.note{color:#666}</style>"
            f"<h1>{html.escape(title)}</h1>{body}</html>"
        )
        handler._send_http_response(200, {"Content-Type": "text/html; charset=utf-8"}, page)

    def _checkout(self, handler: Any, session_id: str, action: str | None) -> None:
        session = self.fake.sessions.get(session_id)
        if session is None:
            handler._send_http_response(404, {"Content-Type": "text/plain"}, "no such session")
            return
        if action == "pay" and handler.command == "POST":
            self.fake.complete_checkout(session_id)
            url = str(session["success_url"] or "/").replace("{CHECKOUT_SESSION_ID}", session_id)
            self._redirect(handler, url)
            return
        if action == "cancel" and handler.command == "POST":
            self._redirect(handler, str(session["cancel_url"] or "/"))
            return
        amount = self.fake.prices.get(session["_price"], 0)
        customer = self.fake.customers.get(session["customer"], {})
        state = (
            "<p>This checkout is already paid.</p>"
            if session["status"] != "open"
            else (
                f"<form method=post action='/dev/checkout/{session_id}/pay'>"
                "<button>Pay</button></form>"
                f"<form method=post action='/dev/checkout/{session_id}/cancel'>"
                "<button>Cancel</button></form>"
            )
        )
        self._html(
            handler,
            "Local checkout",
            f"<p>{html.escape(str(customer.get('email') or ''))} subscribes to "
            f"<b>{html.escape(str(session['metadata'].get('plan', session['_price'])))}</b> "
            f"for ${amount / 100:.2f} a month.</p>{state}"
            "<p class=note>A local stand-in for Stripe Checkout: no card, no Stripe account. "
            "Pay sends signed checkout.session.completed, customer.subscription.created "
            "and invoice.paid events to /api/webhooks/stripe.</p>",
        )

    def _action(self, handler: Any, subscription_id: str, action: str) -> None:
        fake = self.fake
        if subscription_id not in fake.subscriptions:
            handler._send_http_response(404, {"Content-Type": "text/plain"}, "no such subscription")
            return
        sub = fake.subscriptions[subscription_id]
        actions: dict[str, Callable[[], None]] = {
            "fail": lambda: fake.fail_payment(subscription_id),
            "pay": lambda: fake.pay_invoice(subscription_id),
            "renew": lambda: fake.renew(subscription_id),
            "cancel": lambda: fake.cancel_at_period_end(subscription_id, True),
            "resume": lambda: fake.cancel_at_period_end(subscription_id, False),
            "end": lambda: fake.end_subscription(subscription_id),
            "skip_grace": lambda: self._skip_grace(sub),
        }
        run = actions.get(action)
        if run is None:
            handler._send_http_response(404, {"Content-Type": "text/plain"}, "no such action")
            return
        run()
        session = _session_of(handler.path)
        back = f"&session={session}" if session else ""
        self._redirect(handler, f"/dev/billing?customer={sub['customer']}{back}")

    def _skip_grace(self, sub: dict[str, Any]) -> None:
        user_id = sub["metadata"].get("user_id")
        if self._backdate is not None and user_id:
            self._backdate(user_id, 4 * 86400)

    def _page(self, handler: Any, customer: str | None) -> None:
        subs = [
            s
            for s in self.fake.subscriptions.values()
            if customer is None or s["customer"] == customer
        ]
        buttons = {
            "fail": "Fail next payment",
            "skip_grace": "Skip the 3-day grace",
            "pay": "Pay open invoice",
            "renew": "Renew (new period, paid)",
            "cancel": "Cancel at period end",
            "resume": "Undo cancel",
            "end": "End subscription now",
        }
        session = _session_of(handler.path)
        keep = f"?session={html.escape(session)}" if session else ""
        rows = []
        for sub in subs:
            item = sub["items"]["data"][0]
            email = self.fake.customers.get(sub["customer"], {}).get("email", "")
            forms = "".join(
                f"<form method=post action='/dev/billing/{sub['id']}/{key}{keep}' "
                "style=display:inline>"
                f"<button>{label}</button></form>"
                for key, label in buttons.items()
            )
            ends = time.strftime("%Y-%m-%d", time.gmtime(item["current_period_end"]))
            rows.append(
                f"<tr><td>{html.escape(str(email))}<br><small>{sub['id']}</small></td>"
                f"<td>{html.escape(item['price']['id'])}</td><td>{sub['status']}"
                f"{' (cancels at period end)' if sub['cancel_at_period_end'] else ''}</td>"
                f"<td>{ends}</td></tr><tr><td colspan=4>{forms}</td></tr>"
            )
        table = (
            "<table><tr><th>Customer</th><th>Price</th><th>Status</th><th>Period ends</th></tr>"
            + "".join(rows)
            + "</table>"
            if rows
            else "<p>No subscriptions yet: choose a plan in the app.</p>"
        )
        self._html(
            handler,
            "Local billing portal",
            f"{table}<p class=note>Each button changes the local Stripe's state and sends "
            "signed events to /api/webhooks/stripe, as Stripe would. "
            "Back to the <a href='/billing'>app</a>.</p>",
        )


def _session_of(path: str) -> str:
    return dict(parse_qsl(urlsplit(path).query)).get("session", "")


def configure_environment(env: dict[str, str], public_url: str) -> bool:
    """Point the app at the local Stripe unless real Stripe keys are set.

    Returns True when the local provider is in use.
    """
    if env.get("STRIPE_SECRET_KEY") and env.get("STRIPE_WEBHOOK_SECRET"):
        return False
    env["STRIPE_SECRET_KEY"] = "sk_test_local"
    env.setdefault("STRIPE_WEBHOOK_SECRET", f"whsec_{secrets.token_hex(16)}")
    env["WACAST_STRIPE_API_BASE"] = f"{public_url.rstrip('/')}{LocalBilling.API_PREFIX}"
    env.setdefault("WACAST_STRIPE_PRICE_STARTER", "price_local_starter")
    env.setdefault("WACAST_STRIPE_PRICE_PRO", "price_local_pro")
    return True


def local_prices(env: dict[str, str]) -> dict[str, int]:
    return {
        env["WACAST_STRIPE_PRICE_STARTER"]: 2_900,
        env["WACAST_STRIPE_PRICE_PRO"]: 9_900,
    }


def backdate_past_due(user_id: str, seconds: int) -> None:
    """Dev only: move a failed payment back in time, then run the grace sweep."""
    from chalicelib.billing import dunning
    from chalicelib.models.billing import BillingAccountModel

    account = BillingAccountModel.get(user_id, consistent_read=True)
    if account.past_due_since is None:
        return
    account.update(actions=[BillingAccountModel.past_due_since.add(-seconds * 1000)])  # ms
    dunning.enforce_grace()
