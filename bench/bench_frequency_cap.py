"""What the frequency cap and a follow-up cost the preparing walk, in DynamoDB requests.

In process on moto: an account with BENCH_CONTACTS contacts (default 2,000: one page of
the walk) and BENCH_RECENT campaigns (default 3) that each messaged all of them, half
an hour ago for half the contacts and two days ago for the rest. It walks one page
of a new campaign with the cap off, with a 24 h cap, and a 24 h-capped follow-up of
one of them, and prints the DynamoDB requests (by operation) and keys read per page,
and what the cap left out. Counts, not times: moto's speed says nothing about
DynamoDB's. Nothing here writes per sent message (the send path is untouched).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from typing import Any

os.environ.pop("AWS_ENDPOINT_URL", None)  # before pynamodb reads them (as tests/conftest.py)
for _key, _value in {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "WACAST_STAGE": "bench",
    "WACAST_WS_DOMAIN": "ws.bench.invalid",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "WACAST_LOG_LEVEL": "WARNING",
}.items():
    os.environ.setdefault(_key, _value)

from moto import mock_aws  # noqa: E402

CONTACTS = int(os.environ.get("BENCH_CONTACTS", "2000"))
RECENT = int(os.environ.get("BENCH_RECENT", "3"))
HOUR_MS = 3_600_000


def _count_requests(counts: Counter[str]) -> None:
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.call_action

    def counted(self: Any) -> Any:
        action = self._get_action()
        counts[action] += 1
        if action == "BatchGetItem":
            body = json.loads(self.body) if isinstance(self.body, str | bytes) else {}
            counts["keys read"] += sum(
                len(t.get("Keys", [])) for t in (body.get("RequestItems") or {}).values()
            )
        return original(self)

    DynamoHandler.call_action = counted  # type: ignore[method-assign]


def main() -> None:
    counts: Counter[str] = Counter()
    with mock_aws():
        from chalicelib import aws as aws_clients
        from chalicelib import queues
        from chalicelib.config import reset_settings_cache

        aws_clients.reset_clients()
        queues.reset_urls()
        reset_settings_cache()
        from infra.local.provision import provision_all

        provision_all()
        from chalicelib.campaigns import prepare, service
        from chalicelib.models.base import now_ms, plain
        from chalicelib.models.campaigns import CampaignMessageModel, CampaignModel
        from chalicelib.models.contacts import ContactModel

        user_id, now = "usr_bench", now_ms()
        phones = [f"+1415{i:07d}" for i in range(CONTACTS)]
        with ContactModel.batch_write() as batch:
            for phone in phones:
                batch.save(
                    ContactModel(user_id, phone, tags=["bench"], created_at=now, updated_at=now)
                )
        recent = []
        for k in range(RECENT):
            sent = service.create(
                user_id, {"name": f"sent {k}", "template": "Hi", "session_ids": []}
            )
            sent.update(
                actions=[
                    CampaignModel.status.set(service.COMPLETED),
                    CampaignModel.launched_at.set(now - 3 * HOUR_MS),
                    CampaignModel.completed_at.set(now - HOUR_MS),
                ]
            )
            recent.append(sent.campaign_id)
            with CampaignMessageModel.batch_write() as batch:
                for i, phone in enumerate(phones):
                    at = now - (HOUR_MS // 2 if i % 2 == 0 else 48 * HOUR_MS)
                    batch.save(
                        CampaignMessageModel(
                            sent.campaign_id,
                            phone,
                            user_id=user_id,
                            session_id="ses_x",
                            status="read" if i % 3 == 0 else "delivered",
                            queued_at=at,
                            sent_at=at,
                        )
                    )
        _count_requests(counts)
        cases: list[tuple[str, dict[str, Any]]] = [
            ("cap off", {"frequency_cap_hours": 0}),
            ("cap 24 h", {"frequency_cap_hours": 24}),
            (
                "follow-up, cap 24 h",
                {
                    "frequency_cap_hours": 24,
                    "follow_up": {"campaign_id": recent[0], "kind": "read_not_replied"},
                },
            ),
        ]
        print(
            f"one page of the preparing walk: {CONTACTS:,} contacts, "
            f"{RECENT} campaigns sent in the last day"
        )
        for label, extra in cases:
            campaign = service.create(
                user_id,
                {
                    "name": label,
                    "template": "Hello",
                    "session_ids": [],
                    "audience": {"all": False, "tags": ["bench"]},
                    **extra,
                },
            )
            campaign.update(
                actions=[
                    CampaignModel.status.set(service.PREPARING),
                    CampaignModel.launch_token.set("t"),
                ]
            )
            campaign = service.get(user_id, campaign.campaign_id, consistent=True)
            counts.clear()
            prepare.walk_page(campaign, 0)
            walked = service.get(user_id, campaign.campaign_id, consistent=True)
            done = plain(walked.prepare_counts)
            requests = {k: v for k, v in sorted(counts.items()) if k != "keys read"}
            print(
                f"  {label:22} requests {sum(requests.values()):4d} {requests} · "
                f"keys batch-read {counts['keys read']:,} · "
                f"recipients {int(done.get('recipients', 0)):,}, "
                f"left out by the cap {int(done.get('frequency_capped', 0)):,}"
            )
        aws_clients.reset_clients()
        queues.reset_urls()


if __name__ == "__main__":
    main()
