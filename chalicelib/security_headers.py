"""Security headers: one definition for the API, the web app and the local dev pages.

The API middleware (app.py) adds ``api()`` to every response; the local front door
adds ``web()`` to the SPA and ``dev_pages()`` to /dev/…; in AWS, CloudFront's
response-headers policy (infra/aws) sends the same values for the SPA.
HSTS only when the app is served over HTTPS (deployed): a browser that saw it on
http://127.0.0.1 would refuse plain HTTP to that host for a year.
"""

from __future__ import annotations

import os

from chalicelib.config import settings

HSTS = "max-age=63072000; includeSubDomains"
REFERRER_POLICY = "strict-origin-when-cross-origin"
# JSON never renders as a page: nothing may load, nothing may frame it.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"


def spa_csp(extra_origins: list[str] | tuple[str, ...] = ()) -> str:
    """The SPA's policy: its own scripts and styles only (no inline script), images
    also from data: (QR codes) and the media bucket, uploads to the uploads bucket."""
    extra = " ".join(o for o in extra_origins if o)
    tail = f" {extra}" if extra else ""
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        f"img-src 'self' data: blob:{tail}; connect-src 'self'{tail}; font-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )


def deployed() -> bool:
    return settings().app_url.startswith("https://")


def _common() -> dict[str, str]:
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": REFERRER_POLICY,
        "X-Frame-Options": "DENY",
    }
    if deployed():
        headers["Strict-Transport-Security"] = HSTS
    return headers


def api() -> dict[str, str]:
    """For every API answer. ``no-store``: answers carry tokens and private data; a
    handler that sets its own Cache-Control keeps it."""
    return {**_common(), "Content-Security-Policy": API_CSP, "Cache-Control": "no-store"}


def storage_origins() -> list[str]:
    """Where the browser fetches images and sends uploads when S3 is emulated locally."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "").rstrip("/")
    return [endpoint] if endpoint else []


def web() -> dict[str, str]:
    return {**_common(), "Content-Security-Policy": spa_csp(storage_origins())}


def dev_pages() -> dict[str, str]:
    """The local stack's own small pages use inline styles; still no script, no framing."""
    return {
        **_common(),
        "Content-Security-Policy": (
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        ),
        "Cache-Control": "no-store",
    }
