from __future__ import annotations

from typing import Any

from tests.contacts.fixtures import csv_bytes, drain_contacts_queue
from tests.functional.conftest import Api


def test_smoke_import(api: Api, user: dict[str, Any]) -> None:
    api.patch("/api/me", {"default_region": "BR"})
    content = csv_bytes(
        [["Nome", "Celular", "Cidade"], ["Ana", "(11) 98765-4321", "SP"], ["Bob", "bad", "RJ"]]
    ).decode()
    created = api.post("/api/contacts/imports", {"filename": "a.csv", "content": content})
    assert created.status == 201, created.json
    import_id = created.json["import"]["import_id"]
    preview = api.get(f"/api/contacts/imports/{import_id}/preview")
    assert preview.status == 200, preview.json
    print(preview.json)
    started = api.post(f"/api/contacts/imports/{import_id}/start", {"tags": ["VIP"]})
    assert started.status == 202, started.json
    drain_contacts_queue()
    done = api.get(f"/api/contacts/imports/{import_id}")
    print(done.json)
    assert done.json["status"] == "completed"
    listing = api.get("/api/contacts")
    print(listing.json)
    print(api.get("/api/contacts/tags").json)
    report = api.get(f"/api/contacts/imports/{import_id}/errors")
    print(report.json)
