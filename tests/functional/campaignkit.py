"""Helpers for campaign tests: contacts, a connected number, queue draining."""

from __future__ import annotations

import time
from typing import Any

from chalice.test import Client

from tests.functional.agentlink import AgentDriver, FakeManagement
from tests.functional.conftest import Api, drain


def launch_all(client: Client) -> None:
    from chalicelib import queues

    drain(
        queues.LAUNCH, lambda event: client.lambda_.invoke("launch_worker", event).payload, batch=1
    )


def add_contacts(api: Api, count: int, tag: str = "vip", start: int = 0, **extra: Any) -> list[str]:
    phones = []
    for i in range(start, start + count):
        phone = f"+1415555{i:04d}"
        reply = api.post(
            "/api/contacts", {"phone": phone, "first_name": f"Ana{i}", "tags": [tag], **extra}
        )
        assert reply.status == 201, reply.json
        phones.append(phone)
    return phones


class Setup:
    def __init__(self, api: Api, chalice_app: Any, fake: FakeManagement) -> None:
        from chalicelib.agents import registry

        self.api = api
        self.client = Client(chalice_app)
        _, token = registry.create_agent(f"mini-{time.monotonic_ns()}", 10)
        self.agent = AgentDriver(self.client, fake, token, f"conn-{time.monotonic_ns()}")
        assert self.agent.connect() == 200
        self.agent.send({"type": "hello", "agent_version": "1", "max_sessions": 10, "sessions": []})
        self.session_id = api.post("/api/sessions", {"label": "Shop"}).json["session_id"]
        self.report("connected", phone="+14155550000")
        self.wa_seq = 0

    def report(self, state: str, **extra: Any) -> None:
        self.agent.send(
            {
                "type": "session_state",
                "session_id": self.session_id,
                "state": state,
                "ts": int(time.time() * 1000),
                **extra,
            }
        )

    def campaign(self, **overrides: Any) -> dict[str, Any]:
        body = {
            "name": "Promo",
            "template": "{Hi|Hello} {{first_name|there}}!",
            "audience": {"tags": ["vip"]},
            "session_ids": [self.session_id],
            "pacing": {"min_gap_s": 0, "max_gap_s": 0, "daily_cap": 10000, "warmup": False},
            # Tests send to the same contacts again and again: no frequency cap unless asked.
            "frequency_cap_hours": 0,
            **overrides,
        }
        reply = self.api.post("/api/campaigns", body)
        assert reply.status == 201, reply.json
        return reply.json

    def launch(self, campaign_id: str) -> dict[str, Any]:
        reply = self.api.post(f"/api/campaigns/{campaign_id}/schedule")
        assert reply.status == 202, reply.json
        launch_all(self.client)
        return self.api.get(f"/api/campaigns/{campaign_id}").json

    def pull(self, count: int = 100) -> list[dict[str, Any]]:
        frames = self.agent.send({"type": "pull", "session_id": self.session_id, "max": count})
        batch = next(f for f in frames if f["type"] == "batch")
        return list(batch["messages"])

    def results(
        self, messages: list[dict[str, Any]], outcome: str = "sent", reason: str | None = None
    ) -> dict[str, str]:
        ids = {}
        items = []
        for message in messages:
            self.wa_seq += 1
            wa_id = f"true_{message['phone'][1:]}@c.us_{self.wa_seq:06d}"
            ids[message["phone"]] = wa_id
            item = {
                "campaign_id": message["campaign_id"],
                "phone": message["phone"],
                "session_id": self.session_id,
                "outcome": outcome,
                "ts": int(time.time() * 1000),
            }
            if outcome == "sent":
                item["wa_message_id"] = wa_id
            if reason:
                item["reason"] = reason
            items.append(item)
        self.agent.send({"type": "results", "items": items})
        return ids

    def acks(self, wa_ids: list[str], ack: int) -> None:
        self.agent.send(
            {
                "type": "acks",
                "items": [
                    {
                        "session_id": self.session_id,
                        "wa_message_id": w,
                        "ack": ack,
                        "ts": int(time.time() * 1000),
                    }
                    for w in wa_ids
                ],
            }
        )


def counters(api: Api, campaign_id: str) -> dict[str, int]:
    return dict(api.get(f"/api/campaigns/{campaign_id}").json["counters"])
