from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

import wacast_protocol as p


def _roundtrip_agent(frame: p.AnyFrame) -> None:
    raw = p.dump_frame(frame)
    assert p.parse_agent_frame(raw) == frame
    assert p.parse_agent_frame(raw.encode()) == frame


def _roundtrip_cloud(frame: p.AnyFrame) -> None:
    raw = p.dump_frame(frame)
    assert p.parse_cloud_frame(raw) == frame


AGENT_FRAMES: list[p.AnyFrame] = [
    p.Hello(
        agent_version="0.1.0",
        max_sessions=4,
        seq=1,
        sessions=[
            p.SessionSummary(session_id="s1", state=p.SessionState.connected, phone="+447700900001")
        ],
    ),
    p.Heartbeat(sessions_running=2, rss_bytes=10_000_000, cpu_percent=1.5, uptime_s=12.0, seq=2),
    p.SessionStateFrame(
        session_id="s1",
        state=p.SessionState.qr_ready,
        ts=1_700_000_000_000,
        qr="data:image/png;base64,iVBORw0KGgo=",
        qr_expires_at=1_700_000_060_000,
    ),
    p.SessionStateFrame(session_id="s1", state=p.SessionState.banned, ts=1, reason="TEMP_BAN"),
    p.Pull(session_id="s1", max=50, seq=9),
    p.Results(
        items=[
            p.ResultItem(
                campaign_id="c1",
                phone="+447700900002",
                session_id="s1",
                outcome=p.Outcome.failed,
                reason=p.FailReason.not_on_whatsapp,
                ts=5,
            )
        ]
    ),
    p.Acks(items=[p.AckItem(session_id="s1", wa_message_id="true_1@c.us_ABC", ack=3, ts=6)]),
    p.Inbound(session_id="s1", from_phone="+447700900003", body="STOP", wa_message_id="m1", ts=7),
]
CLOUD_FRAMES: list[p.AnyFrame] = [
    p.Sync(
        sessions=[
            p.DesiredSession(session_id="s1", desired="running"),
            p.DesiredSession(session_id="s2", desired="stopped", purge_after=99),
        ]
    ),
    p.StartSession(session_id="s1"),
    p.StopSession(session_id="s1", purge_after=10),
    p.Batch(
        session_id="s1",
        messages=[
            p.BatchMessage(
                campaign_id="c1",
                phone="+447700900002",
                to="447700900002@c.us",
                text="Hi Ann",
                media_url="https://example.com/x.png",
                media_filename="x.png",
                lease_until=100,
            )
        ],
        pacing=p.Pacing(
            min_gap_s=1,
            max_gap_s=3,
            daily_cap=200,
            quiet_start="21:00",
            quiet_end="08:00",
            timezone="Europe/London",
        ),
    ),
    p.Wake(session_ids=["s1", "s2"]),
    p.CancelLeases(session_id="s1", campaign_id="c1", phones=["+447700900002"]),
    p.Receipt(seqs=[1, 2, 3]),
    p.ErrorFrame(code="bad", message="nope", details={"x": 1}),
]


@pytest.mark.parametrize("frame", AGENT_FRAMES, ids=lambda f: f.type)
def test_agent_roundtrip(frame: p.AnyFrame) -> None:
    _roundtrip_agent(frame)


@pytest.mark.parametrize("frame", CLOUD_FRAMES, ids=lambda f: f.type)
def test_cloud_roundtrip(frame: p.AnyFrame) -> None:
    _roundtrip_cloud(frame)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("{not json", "invalid_json"),
        (b"\xff\xfe", "invalid_json"),
        ("[1,2]", "invalid_frame"),
        ('{"type": "nope"}', "unknown_type"),
        ('{"type": "batch"}', "unknown_type"),  # cloud frame sent by an agent
        ('{"type": "pull", "session_id": "s1", "max": 5, "extra": 1}', "invalid_frame"),
        ('{"type": "pull", "session_id": "s1", "max": 101}', "invalid_frame"),
        ('{"type": "pull", "session_id": "s1", "max": 5, "v": 2}', "unsupported_version"),
        ('{"type": "pull", "session_id": "' + "x" * 65 + '", "max": 5}', "invalid_frame"),
        ("[" * 100_000 + "]" * 100_000, "invalid_json"),
        (
            '{"type":"inbound","session_id":"s","from_phone":"+447700900003","body":"'
            + "a" * 5000
            + '","wa_message_id":"m","ts":1}',
            "invalid_frame",
        ),
        ("x" * (p.MAX_FRAME_BYTES + 1), "frame_too_large"),
    ],
)
def test_agent_rejections(raw: str | bytes, code: str) -> None:
    with pytest.raises(p.ProtocolError) as info:
        p.parse_agent_frame(raw)
    assert info.value.code == code


def test_oversized_list_rejected() -> None:
    items = [{"session_id": "s", "wa_message_id": "m", "ack": 1, "ts": 1}] * 501
    with pytest.raises(p.ProtocolError) as info:
        p.parse_agent_frame(json.dumps({"type": "acks", "items": items}))
    assert info.value.code == "invalid_frame"
    assert isinstance(info.value.details, list)


def test_batch_rejects_bad_to_and_quiet_hours() -> None:
    base = json.loads(p.dump_frame(CLOUD_FRAMES[3]))
    bad = json.loads(json.dumps(base))
    bad["messages"][0]["to"] = "+447700900002"
    with pytest.raises(p.ProtocolError):
        p.parse_cloud_frame(json.dumps(bad))
    bad = json.loads(json.dumps(base))
    bad["pacing"]["quiet_start"] = "25:00"
    with pytest.raises(p.ProtocolError):
        p.parse_cloud_frame(json.dumps(bad))


@given(st.text(max_size=300) | st.binary(max_size=300))
def test_parse_never_raises_anything_else(raw: str | bytes) -> None:
    for parse in (p.parse_agent_frame, p.parse_cloud_frame):
        with contextlib.suppress(p.ProtocolError):
            parse(raw)


@given(
    st.dictionaries(
        st.sampled_from(["type", "v", "seq", "session_id", "max", "items"]),
        st.none() | st.integers() | st.text(max_size=20) | st.lists(st.integers()),
    )
)
def test_parse_random_objects(obj: dict[str, object]) -> None:
    with contextlib.suppress(p.ProtocolError):
        p.parse_agent_frame(json.dumps(obj))
