"""Contacts, tags and opt-outs through the HTTP API (chalice.test.Client + moto)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from tests.contacts.fixtures import drain_contacts_queue
from tests.functional.conftest import Api, register_and_login


@pytest.fixture
def br(api: Api, user: dict[str, Any]) -> dict[str, Any]:
    assert api.patch("/api/me", {"default_region": "BR"}).status == 200
    return user


def _add(api: Api, phone: str, **extra: Any) -> dict[str, Any]:
    reply = api.post("/api/contacts", {"phone": phone, **extra})
    assert reply.status == 201, reply.json
    return reply.json


def test_create_get_patch_delete(api: Api, br: dict[str, Any]) -> None:
    created = _add(
        api,
        "(11) 98765-4321",
        name="Zoë 😀",
        email="Ana@Example.com",
        fields={"city": "São Paulo", "plan_2": "gold"},
        tags=["VIP", "  Clientes  Novos "],
    )
    assert created["phone"] == "+5511987654321"
    assert created["email"] == "ana@example.com"
    # Tags keep the spelling typed (spaces tidied) and match case-insensitively.
    assert created["tags"] == ["Clientes Novos", "VIP"]
    assert created["opted_out"] is False
    for path in ("+5511987654321", "%2B5511987654321", "5511987654321"):
        got = api.get(f"/api/contacts/{path}")
        assert got.status == 200 and got.json["name"] == "Zoë 😀", path
    again = api.post("/api/contacts", {"phone": "+55 11 98765 4321"})
    assert again.status == 409 and again.error_code == "contact_exists"

    patched = api.patch(
        "/api/contacts/5511987654321", {"name": "محمد", "tags": ["vip"], "email": None}
    )
    assert patched.status == 200, patched.json
    assert patched.json["name"] == "محمد" and patched.json["email"] is None
    assert patched.json["fields"] == {"city": "São Paulo", "plan_2": "gold"}
    assert patched.json["tags"] == ["VIP"]  # "vip" is the same tag, shown as first typed
    assert api.get("/api/contacts/tags").json["items"] == [
        {"tag": "vip", "count": 1, "label": "VIP"}
    ]

    assert api.delete("/api/contacts/5511987654321").status == 204
    assert api.get("/api/contacts/5511987654321").status == 404
    assert api.delete("/api/contacts/5511987654321").status == 404
    assert api.get("/api/contacts/tags").json["items"] == []


@pytest.mark.parametrize(
    "body",
    [
        {"phone": "12"},
        {"phone": "not a phone"},
        {"phone": "+5511987654321", "fields": {"Bad Key": "x"}},
        {"phone": "+5511987654321", "fields": {"k": "x" * 1001}},
        {"phone": "+5511987654321", "fields": {f"k{i}": "x" for i in range(51)}},
        {"phone": "+5511987654321", "email": "nope"},
        {"phone": "+5511987654321", "tags": ["a,b"]},
        {"phone": "+5511987654321", "tags": ["x" * 41]},
        {"phone": "+5511987654321", "default_region": "XX"},
        {"phone": "+5511987654321", "unknown": 1},
        {"phone": "x" * 65},
    ],
)
def test_create_rejects_bad_input(api: Api, br: dict[str, Any], body: dict[str, Any]) -> None:
    reply = api.post("/api/contacts", body)
    assert reply.status == 422, reply.json
    assert reply.error_code == "validation_error"


def test_bad_json_and_bad_paths(api: Api, br: dict[str, Any]) -> None:
    assert api.post("/api/contacts", raw=b"{nope").status == 400
    assert api.get("/api/contacts/not-a-phone").status == 404
    assert api.patch("/api/contacts/%2B1", {"name": "x"}).status == 404
    assert api.get("/api/contacts?cursor=garbage").status == 400
    assert api.get("/api/contacts?limit=0").status == 422


def test_list_search_filters_and_pagination(api: Api, br: dict[str, Any]) -> None:
    _add(api, "+5511900000001", name="Ana Souza", tags=["vip"])
    _add(api, "+5521900000002", name="Bruno Lima", tags=["vip", "rj"])
    _add(api, "+5511900000003", first_name="Carla", last_name="Dias")
    _add(api, "+447911123456", name="Dave", email="dave@example.co.uk")
    phones = lambda r: [c["phone"] for c in r.json["items"]]  # noqa: E731
    assert phones(api.get("/api/contacts?q=souza")) == ["+5511900000001"]
    assert phones(api.get("/api/contacts?q=carla")) == ["+5511900000003"]
    assert phones(api.get("/api/contacts?q=EXAMPLE.CO")) == ["+447911123456"]
    assert phones(api.get("/api/contacts?q=%2B5511")) == ["+5511900000001", "+5511900000003"]
    assert phones(api.get("/api/contacts?q=5521")) == ["+5521900000002"]
    assert phones(api.get("/api/contacts?tag=VIP")) == ["+5511900000001", "+5521900000002"]
    api.post("/api/contacts/5511900000003/opt-out", {})
    assert phones(api.get("/api/contacts?opted_out=true")) == ["+5511900000003"]
    assert len(phones(api.get("/api/contacts?opted_out=false"))) == 3

    seen: list[str] = []
    cursor = None
    while True:
        path = "/api/contacts?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = api.get(path)
        assert page.status == 200
        seen += phones(page)
        cursor = page.json["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == seen and len(seen) == 4

    other = register_and_login(api)
    mine = api.get("/api/contacts?limit=1").json["next_cursor"]
    stolen = api.get(f"/api/contacts?cursor={mine}", token=other["token"])
    assert stolen.status == 400 and stolen.error_code == "invalid_cursor"


def test_tag_counts_follow_every_change(api: Api, br: dict[str, Any]) -> None:
    _add(api, "+5511900000001", tags=["a", "b"])
    _add(api, "+5511900000002", tags=["a"])
    counts = lambda: {t["tag"]: t["count"] for t in api.get("/api/contacts/tags").json["items"]}  # noqa: E731
    assert counts() == {"a": 2, "b": 1}
    api.patch("/api/contacts/5511900000002", {"tags": ["b", "c"]})
    assert counts() == {"a": 1, "b": 2, "c": 1}
    api.delete("/api/contacts/5511900000001")
    assert counts() == {"b": 1, "c": 1}


def test_bulk_delete_by_tag(api: Api, br: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.contacts import service
    from chalicelib.contacts.mapping import RowData

    monkeypatch.setattr(service, "BULK_DELETE_PAGE", 7)  # several pages, several messages
    for i in range(30):
        tags = {"old"} if i % 3 else {"old", "keep"}
        service.create_contact(br["user"]["user_id"], RowData(f"+55119000000{i:02d}", tags=tags))
    _add(api, "+5511911111111", tags=["new"])
    api.post("/api/contacts/5511900000001/opt-out", {})
    reply = api.post("/api/contacts/bulk-delete", {"tag": "OLD"})
    assert reply.status == 202
    handled = drain_contacts_queue()
    left = api.get("/api/contacts").json["items"]
    assert [c["phone"] for c in left] == ["+5511911111111"]
    assert api.get("/api/contacts/tags").json["items"] == [
        {"tag": "new", "count": 1, "label": "new"}
    ]
    assert handled >= 5
    # Deleting the contact never forgets the opt-out.
    from chalicelib.contacts.service import is_opted_out

    assert is_opted_out(br["user"]["user_id"], "+5511900000001")
    assert api.post("/api/contacts/bulk-delete", {"tag": ""}).status == 422


def test_opt_out_and_opt_in(api: Api, br: dict[str, Any]) -> None:
    from chalicelib.contacts.service import is_opted_out, opt_out

    user_id = br["user"]["user_id"]
    # No contact yet: the opt-out is still recorded, and a later contact inherits it.
    reply = api.post("/api/contacts/%2B5511987654321/opt-out", {"source": "phone call"})
    assert reply.status == 200 and reply.json["opted_out"] is True
    assert is_opted_out(user_id, "+5511987654321")
    created = _add(api, "11 98765-4321", name="Ana")
    assert created["opted_out"] is True and created["opted_out_source"] == "phone call"
    # Repeating keeps the first time and source (a STOP reply after a manual opt-out).
    first_at = created["opted_out_at"]
    opt_out(user_id, "+5511987654321", "stop_reply")
    got = api.get("/api/contacts/5511987654321").json
    assert got["opted_out_at"] == first_at and got["opted_out_source"] == "phone call"

    assert api.post("/api/contacts/5511987654321/opt-in").status == 200
    assert not is_opted_out(user_id, "+5511987654321")
    assert api.get("/api/contacts/5511987654321").json["opted_out"] is False
    assert api.post("/api/contacts/5511987654321/opt-in").status == 200  # idempotent
    assert api.post("/api/contacts/nope/opt-out", {}).status == 404


def test_other_tenant_reads_404(api: Api, br: dict[str, Any]) -> None:
    _add(api, "+5511987654321", name="Mine", tags=["x"])
    other = register_and_login(api)["token"]
    assert api.get("/api/contacts/5511987654321", token=other).status == 404
    assert api.patch("/api/contacts/5511987654321", {"name": "x"}, token=other).status == 404
    assert api.delete("/api/contacts/5511987654321", token=other).status == 404
    assert api.get("/api/contacts", token=other).json["items"] == []
    # Another tenant's opt-out, bulk delete and tags live in its own namespace.
    assert api.post("/api/contacts/5511987654321/opt-out", {}, token=other).status == 200
    assert api.post("/api/contacts/bulk-delete", {"tag": "x"}, token=other).status == 202
    drain_contacts_queue()
    mine = api.get("/api/contacts/5511987654321").json
    assert mine["name"] == "Mine" and mine["opted_out"] is False
    assert api.get("/api/contacts/tags", token=other).json["items"] == []
    assert api.get("/api/contacts/export", token=other).body.decode("utf-8-sig").count("\n") == 1
    assert api.get("/api/contacts", token=None).status == 401


def _export(api: Api, query: str = "") -> list[list[str]]:
    reply = api.get("/api/contacts/export" + query)
    assert reply.status == 200, reply.body[:200]
    assert reply.headers["Content-Type"].startswith("text/csv")
    text = reply.body.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_export_escapes_formulas_but_keeps_phones_readable(api: Api, br: dict[str, Any]) -> None:
    _add(
        api,
        "+5511987654321",
        name='=HYPERLINK("http://evil")',
        last_name="-2+3",
        email="a@b.co",
        fields={"note": "@SUM(A1)", "tab": "+1+cmd|x", "plain": "ok"},
        tags=["vip"],
    )
    _add(api, "+447911123456", name="+44 lead", tags=["uk"])
    rows = _export(api)
    header, *data = rows
    assert header[:7] == ["phone", "name", "first_name", "last_name", "email", "tags", "opted_out"]
    assert header[7:] == ["note", "plain", "tab"]
    by_phone = {row[0]: dict(zip(header, row, strict=True)) for row in data}
    br_row = by_phone["+5511987654321"]
    assert br_row["name"] == '\'=HYPERLINK("http://evil")'
    assert br_row["last_name"] == "'-2+3"
    assert (
        br_row["note"] == "'@SUM(A1)" and br_row["tab"] == "'+1+cmd|x" and br_row["plain"] == "ok"
    )
    assert by_phone["+447911123456"]["name"] == "'+44 lead"
    only_uk = _export(api, "?tag=uk")
    assert [row[0] for row in only_uk[1:]] == ["+447911123456"]

    link = api.get("/api/contacts/export?delivery=url")
    assert link.status == 200 and "exports/" in link.json["url"]
