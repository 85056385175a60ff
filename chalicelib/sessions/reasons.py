"""Why a number is not sending, in words a shop owner understands.

The agent reports codes (``StartFailReason`` for a start that failed, ``restricted``
for WhatsApp's reachout timelock); the API, the notices and the web app show these
sentences instead.
"""

from __future__ import annotations

from datetime import UTC, datetime

from wacast_protocol import SessionState, StartFailReason

START_FAILURES: dict[str, str] = {
    StartFailReason.whatsapp_unreachable.value: (
        "This machine cannot reach WhatsApp Web (network or DNS problem)."
    ),
    StartFailReason.browser_missing.value: (
        "The browser that runs WhatsApp Web is not installed on this machine."
    ),
    StartFailReason.browser_failed.value: "The browser that runs WhatsApp Web failed to start.",
    StartFailReason.profile_locked.value: (
        "An earlier run of this number is still holding its browser profile."
    ),
    StartFailReason.qr_timeout.value: "The QR code was not scanned in time.",
    StartFailReason.whatsapp_web_changed.value: (
        "WhatsApp Web changed and the engine on this machine cannot drive it yet; "
        "it needs an update."
    ),
    StartFailReason.start_failed.value: "WhatsApp Web did not start on this machine.",
}

LICENSE_WALL = (
    "Without a licence key for this number, WhatsApp Web can only message people who "
    "have chatted with it before or who are saved in its phone's contacts. Everyone else "
    "needs an OpenWA licence key for this number. Add the key on the number's page, then "
    "retry the failed messages."
)


def _when(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC")


def restricted_text(until: int | None) -> str:
    lifts = f"until {_when(until)}" if until else "for a while"
    return (
        f"WhatsApp is not letting this number start new chats {lifts}. "
        "Chats that already exist still work."
    )


def status_text(status: str, reason: str | None, until: int | None = None) -> str | None:
    """One sentence for a failed or restricted number; None when there is nothing to say."""
    if status == SessionState.restricted.value:
        return restricted_text(until)
    if status == SessionState.failed.value:
        return START_FAILURES.get(reason or "", START_FAILURES[StartFailReason.start_failed.value])
    return None
