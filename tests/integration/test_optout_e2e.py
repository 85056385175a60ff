"""Opt-out replies end to end: the local stack, a real agent process and the OpenWA
simulator. Each contact replies one built-in Portuguese, Spanish or German word or
phrase (case and accents varied) through the simulator's inbound hook; each is opted
out with that reply on the contact, and its pending message is skipped. A near-miss
("pare de mandar isso") is flagged for review instead."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from chalicelib.optout_words import BUILTIN, fold
from tests.integration.flows import (
    all_messages,
    connected_number,
    import_csv,
    launch_campaign,
    new_user,
    registered_agent,
)
from tests.integration.stack import LocalStack, serve, wait_for

pytestmark = pytest.mark.integration


def _typed(entry: str, index: int) -> str:
    """A way people type it: SHOUTED, without accents, Capitalised with "!"…"""
    forms = (entry.upper(), fold(entry), entry.capitalize() + "!", f" {entry} por favor ")
    return forms[index % len(forms)]


REPLIES = [
    _typed(entry, i)
    for i, entry in enumerate(
        entry
        for language in ("pt", "es", "de")
        for kind in ("words", "phrases")
        for entry in BUILTIN[language][kind]
    )
]


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    yield from serve(
        {
            "WACAST_LOCAL_AGENT": "0",
        }
    )


def _sim_control(data_dir: str) -> str:
    found = wait_for(
        lambda: next(Path(data_dir).glob("**/sim-control.json"), None), 30, "the simulator"
    )
    return str(json.loads(found.read_text())["control_url"])


def _reply(control: str, phone: str, body: str) -> None:
    request = urllib.request.Request(
        control + "/sim/inbound",
        data=json.dumps({"from": phone, "body": body}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def test_every_pt_es_de_reply_opts_out_through_the_simulator(stack: LocalStack) -> None:
    agent = registered_agent(stack, "optout-e2e")
    agent.start()
    try:
        token = new_user(stack, "padaria@example.com")
        status, me = stack.request(
            "PATCH",
            "/api/me",
            {"language": "pt", "optout_languages": ["pt", "es", "de"], "onboarded": True},
            token=token,
        )
        assert status == 200, me
        session_id = connected_number(stack, token)
        count = len(REPLIES) + 1
        lines = ["Nome;Celular"] + [f"Cliente {i};(11) 9{i:04d}-{i:04d}" for i in range(count)]
        import_csv(stack, token, count, "clientes", lines)
        # A long gap: the first message goes out, every other one waits in the outbox.
        cid = launch_campaign(
            stack, token, session_id, "clientes", "Natal", "Olá!", gap_s=(3600, 3600)
        )
        phones = [f"+55119{i:04d}{i:04d}" for i in range(count)]
        wait_for(
            lambda: len(all_messages(stack, token, cid)) == count or None,
            60,
            "the campaign's messages",
        )
        control = _sim_control(agent.data_dir)
        for phone, body in zip(phones, REPLIES, strict=False):
            _reply(control, phone, body)
        near_miss = phones[-1]
        _reply(control, near_miss, "pare de mandar isso")

        def opted_out() -> list[str]:
            return [
                phone
                for phone in phones[:-1]
                if stack.request("GET", f"/api/contacts/{phone}", token=token)[1]["opted_out"]
            ]

        wait_for(lambda: len(opted_out()) == len(REPLIES) or None, 60, "every opt-out")
        for phone, body in zip(phones, REPLIES, strict=False):
            contact = stack.request("GET", f"/api/contacts/{phone}", token=token)[1]
            assert contact["opted_out_reply"] == body, phone
        messages = {m["phone"]: m for m in all_messages(stack, token, cid)}
        skipped = [p for p in phones[:-1] if messages[p]["status"] == "skipped"]
        sent = [p for p in phones[:-1] if messages[p]["status"] != "skipped"]
        # At most the one message already sent before the replies is not skipped.
        assert len(sent) <= 1 and len(skipped) >= len(REPLIES) - 1, sent
        assert all(messages[p]["reason"] == "opted_out" for p in skipped)

        reviews = wait_for(
            lambda: (
                stack.request("GET", "/api/contacts/opt-out-reviews", token=token)[1]["items"]
                or None
            ),
            30,
            "the review",
        )
        assert [(r["phone"], r["body"]) for r in reviews] == [(near_miss, "pare de mandar isso")]
        near = stack.request("GET", f"/api/contacts/{near_miss}", token=token)[1]
        assert near["opted_out"] is False
        # a maybe-opt-out changes nothing: its message is not skipped (it may even be the
        # one sent first, and read since)
        assert messages[near_miss]["status"] != "skipped", messages[near_miss]
    finally:
        agent.stop()
