"""CSV import end to end: upload, preview, start, the chunked worker, reports."""

from __future__ import annotations

import base64
import csv
import io
import json
import time
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlparse

import pytest

from tests.contacts.fixtures import br_phone, csv_bytes, drain_contacts_queue, lambda_record
from tests.functional.conftest import Api, register_and_login


@pytest.fixture
def br(api: Api, user: dict[str, Any]) -> dict[str, Any]:
    assert api.patch("/api/me", {"default_region": "BR"}).status == 200
    return user


def _create(api: Api, data: bytes, filename: str = "contacts.csv") -> str:
    if len(data) > 700_000:  # over the inline limit: upload as the browser would
        from chalicelib import aws
        from chalicelib.config import settings

        reply = api.post("/api/contacts/imports", {"filename": filename})
        key = reply.json["upload"]["fields"]["key"]  # the presigned POST's key field
        aws.client("s3").put_object(Bucket=settings().uploads_bucket, Key=key, Body=data)
        return str(reply.json["import"]["import_id"])
    body = {"filename": filename, "content_base64": base64.b64encode(data).decode()}
    reply = api.post("/api/contacts/imports", body)
    assert reply.status == 201, reply.json
    assert reply.json["upload"] is None and reply.json["import"]["status"] == "uploaded"
    return str(reply.json["import"]["import_id"])


def _run(
    api: Api, data: bytes, start: dict[str, Any] | None = None
) -> tuple[dict[str, Any], dict[str, Any], str]:
    import_id = _create(api, data)
    preview = api.get(f"/api/contacts/imports/{import_id}/preview")
    assert preview.status == 200, preview.json
    started = api.post(f"/api/contacts/imports/{import_id}/start", start or {})
    assert started.status == 202, started.json
    assert started.json["status"] == "queued"
    drain_contacts_queue()
    done = api.get(f"/api/contacts/imports/{import_id}").json
    return preview.json, done, import_id


def _report(api: Api, import_id: str) -> list[list[str]]:
    from chalicelib import aws
    from chalicelib.config import settings

    link = api.get(f"/api/contacts/imports/{import_id}/errors")
    assert link.status == 200, link.json
    url = urlparse(link.json["url"])
    assert url.hostname and url.hostname.startswith(settings().uploads_bucket)
    key = unquote(url.path.lstrip("/"))
    body = aws.client("s3").get_object(Bucket=settings().uploads_bucket, Key=key)["Body"].read()
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["row", "value", "reason"]
    return rows[1:]


def _contacts(api: Api, query: str = "") -> dict[str, dict[str, Any]]:
    reply = api.get("/api/contacts?limit=200" + query)
    assert reply.status == 200
    return {c["phone"]: c for c in reply.json["items"]}


def test_presigned_upload_then_import(api: Api, br: dict[str, Any]) -> None:
    from chalicelib import aws
    from chalicelib.config import settings

    reply = api.post("/api/contacts/imports", {"filename": "big.csv"})
    assert reply.status == 201, reply.json
    import_id = reply.json["import"]["import_id"]
    upload = reply.json["upload"]
    assert upload["method"] == "POST" and upload["expires_in"] == 900
    assert upload["max_bytes"] == 50 * 1024 * 1024
    url = urlparse(upload["url"])
    bucket = settings().uploads_bucket
    assert url.hostname == f"{bucket}.s3.amazonaws.com"
    key = upload["fields"]["key"]
    assert key == f"imports/{br['user']['user_id']}/{import_id}/upload.csv"
    policy = json.loads(base64.b64decode(upload["fields"]["policy"]))
    assert ["content-length-range", 1, 50 * 1024 * 1024] in policy["conditions"]
    expires = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00")).timestamp()
    assert 800 <= expires - time.time() <= 1000

    not_yet = api.get(f"/api/contacts/imports/{import_id}/preview")
    assert not_yet.status == 409 and not_yet.error_code == "upload_missing"
    assert api.get(f"/api/contacts/imports/{import_id}").json["status"] == "awaiting_upload"

    rows = [["Name", "Mobile"]] + [[f"P{i}", br_phone(i)] for i in range(40)]
    aws.client("s3").put_object(Bucket=bucket, Key=key, Body=csv_bytes(rows))  # the browser
    preview = api.get(f"/api/contacts/imports/{import_id}/preview").json
    assert preview["suggested_mapping"] == {"0": "name", "1": "phone"}
    assert len(preview["rows"]) == 20
    assert api.post(f"/api/contacts/imports/{import_id}/start", {}).status == 202
    again = api.post(f"/api/contacts/imports/{import_id}/start", {})
    assert again.status == 409 and again.error_code == "import_not_startable"
    drain_contacts_queue()
    done = api.get(f"/api/contacts/imports/{import_id}").json
    assert (done["status"], done["created"], done["rows_read"]) == ("completed", 40, 40)
    assert done["progress"] == 1.0
    listed = api.get("/api/contacts/imports").json["items"]
    assert [i["import_id"] for i in listed] == [import_id]


def test_bad_rows_each_get_a_reason_and_never_block_good_ones(api: Api, br: dict[str, Any]) -> None:
    lines = [
        "name,phone,city",
        "Ana,(11) 98765-4321,SP",  # 2
        "Bruno,bad,RJ",  # 3
        "Carla,,BH",  # 4
        'Dani,"11 91111-1111 / 11 92222-2222",POA',  # 5
        "Eve",  # 6 ragged, short
        "Fay,11 93333-3333,Rio,EXTRA",  # 7 ragged, long
        "x" * (1024 * 1024),  # 8 a 1 MB line
        "😀 Emoji,0055 11 94444 4444,",  # 9
        "محمد,+55.11.95555.5555,",  # 10
        "Ana Dup,11987654321,",  # 11 duplicate of row 2
        "",  # 12 blank
        "Nul\x00,11 96666-6666,",  # 13
        "Zed,+1 (202) 555-0143,NY",  # 14
    ]
    data = ("\r\n".join(lines) + "\r\n").encode("utf-8")
    preview, done, import_id = _run(api, data, {"tags": ["lote 1"]})
    assert preview["suggested_mapping"] == {"0": "name", "1": "phone", "2": "field:city"}
    assert done["status"] == "completed", done
    assert done["rows_read"] == 13
    assert done["created"] == 7 and done["duplicates"] == 1
    assert done["invalid"] == 4 and done["blank"] == 1 and done["warnings"] == 2
    report = {int(r[0]): r for r in _report(api, import_id)}
    assert set(report) == {3, 4, 5, 6, 7, 8}
    assert report[3][1:] == ["bad", "no digits in phone number"]
    assert report[4][2] == "no phone number" and report[6][2] == "no phone number"
    assert report[5][2].startswith("warning: several numbers")
    assert report[7][2].startswith("warning: row has 4 columns")
    assert report[8][2] == "row is longer than 64 KB"
    contacts = _contacts(api)
    assert contacts["+5511987654321"]["name"] == "Ana Dup"
    assert contacts["+5511987654321"]["fields"] == {"city": "SP"}
    assert contacts["+5511944444444"]["name"] == "😀 Emoji"
    assert contacts["+5511955555555"]["name"] == "محمد"
    assert contacts["+5511966666666"]["name"] == "Nul"
    assert contacts["+12025550143"]["tags"] == ["lote 1"]
    assert api.get("/api/contacts/tags").json["items"] == [
        {"tag": "lote 1", "count": 7, "label": "lote 1"}
    ]


@pytest.mark.parametrize(
    ("encoding", "delimiter", "bom", "label"),
    [
        ("utf-8", ",", False, "utf-8"),
        ("utf-8", "|", True, "utf-8-bom"),
        ("utf-16-le", "\t", True, "utf-16-le"),
        ("utf-16-be", ";", True, "utf-16-be"),
        ("cp1252", ";", False, "windows-1252"),
    ],
)
def test_encodings_and_delimiters(
    api: Api, br: dict[str, Any], encoding: str, delimiter: str, bom: bool, label: str
) -> None:
    rows = [
        ["First Name", "Last Name", "Business Phone", "Mobile Phone", "E-mail Address"],
        ["João", "Conceição", "", "(11) 98765-4321", "joao@example.com"],
        ["Ñandú", "Peña", "(11) 3333-4444", "", "bad-email"],
    ]
    preview, done, _ = _run(api, csv_bytes(rows, encoding, delimiter, bom))
    assert (preview["encoding"], preview["delimiter"]) == (label, delimiter)
    assert preview["header"] == rows[0]
    assert preview["suggested_mapping"]["3"] == "phone"
    assert done["created"] == 2 and done["invalid"] == 0 and done["warnings"] == 1
    contacts = _contacts(api)
    joao = contacts["+5511987654321"]
    assert (joao["name"], joao["email"]) == ("João Conceição", "joao@example.com")
    assert contacts["+551133334444"]["name"] == "Ñandú Peña"


def test_google_contacts_export(api: Api, br: dict[str, Any]) -> None:
    header = [
        "Name", "Given Name", "Family Name", "Group Membership", "E-mail 1 - Type",
        "E-mail 1 - Value", "Phone 1 - Type", "Phone 1 - Value",
    ]  # fmt: skip
    rows = [
        header,
        ["Ana Souza", "Ana", "Souza", "* myContacts ::: Clientes", "* Home", "ana@x.com",
         "Mobile", "+55 11 98765-4321 ::: +55 11 91234-5678"],
    ]  # fmt: skip
    preview, done, import_id = _run(api, csv_bytes(rows, "utf-8", ",", True))
    assert preview["suggested_mapping"]["7"] == "phone"
    assert done["created"] == 1 and done["warnings"] == 1
    ana = _contacts(api)["+5511987654321"]
    assert ana["first_name"] == "Ana" and ana["last_name"] == "Souza"
    assert ana["tags"] == ["Clientes", "myContacts"]  # the file's spelling, matched case-folded
    assert "several numbers" in _report(api, import_id)[0][2]


def test_file_without_header_and_bare_cr(api: Api, br: dict[str, Any]) -> None:
    data = b"Ana;11 98765-4321\rBob;11 91234-5678\r"
    preview, done, _ = _run(api, data)
    assert preview["has_header"] is False and preview["delimiter"] == ";"
    assert preview["suggested_mapping"]["1"] == "phone"
    assert done["created"] == 2
    assert _contacts(api)["+5511912345678"]["fields"] == {"column_1": "Bob"}


def test_explicit_mapping_by_header_name(api: Api, br: dict[str, Any]) -> None:
    data = csv_bytes([["who", "num", "extra"], ["Ana", "11 98765-4321", "x"]])
    _, done, _ = _run(
        api, data, {"mapping": {"who": "name", "num": "phone", "2": "field:notes"}, "mode": "add"}
    )
    assert done["created"] == 1
    ana = _contacts(api)["+5511987654321"]
    assert ana["name"] == "Ana" and ana["fields"] == {"notes": "x"}


@pytest.mark.parametrize(
    "body",
    [
        {"mapping": {"0": "name"}},
        {"mapping": {"0": "phone", "1": "field:Bad Key"}},
        {"mapping": {"0": "phone", "1": "nonsense"}},
        {"mapping": {"nope": "phone"}},
        {"mode": "replace"},
        {"tags": ["a,b"]},
        {"default_region": "XX"},
        {"delimiter": "x"},
    ],
)
def test_start_rejects_bad_settings(api: Api, br: dict[str, Any], body: dict[str, Any]) -> None:
    import_id = _create(api, csv_bytes([["name", "phone"], ["Ana", "11 98765-4321"]]))
    reply = api.post(f"/api/contacts/imports/{import_id}/start", body)
    assert reply.status == 422, reply.json
    assert api.get(f"/api/contacts/imports/{import_id}").json["status"] in ("uploaded", "ready")


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty_file"),
        (b"\n\n \r\n", "empty_file"),
        (b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)) * 10, "not_csv"),
        (bytes(range(256)) * 40, "not_csv"),
    ],
)
def test_unreadable_files_fail_with_a_reason(
    api: Api, br: dict[str, Any], data: bytes, code: str
) -> None:
    import_id = _create(api, data)
    reply = api.get(f"/api/contacts/imports/{import_id}/preview")
    assert reply.status == 422 and reply.error_code == code
    item = api.get(f"/api/contacts/imports/{import_id}").json
    assert item["status"] == "failed" and item["error"]
    started = api.post(f"/api/contacts/imports/{import_id}/start", {})
    assert started.status == 409


def test_header_only_file_completes_empty(api: Api, br: dict[str, Any]) -> None:
    preview, done, _ = _run(api, b"name,phone\r\n", {"mapping": {"1": "phone"}})
    assert preview["rows"] == [] and preview["header"] == ["name", "phone"]
    assert done["status"] == "completed" and done["rows_read"] == 0


def test_bad_create_requests(api: Api, br: dict[str, Any]) -> None:
    bad64 = api.post("/api/contacts/imports", {"filename": "a.csv", "content_base64": "@@@"})
    assert bad64.status == 422
    huge = api.post("/api/contacts/imports", {"filename": "a.csv", "content": "x" * 1_100_000})
    assert huge.status == 413
    assert api.post("/api/contacts/imports", {"filename": ""}).status == 422


def test_too_large_upload_is_refused(
    api: Api, br: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.contacts import imports

    monkeypatch.setattr(imports, "MAX_FILE_BYTES", 100)
    import_id = _create(api, b"name,phone\n" + b"Ana,11 98765-4321\n" * 10)
    reply = api.get(f"/api/contacts/imports/{import_id}/preview")
    assert reply.status == 413
    assert api.get(f"/api/contacts/imports/{import_id}").json["status"] == "failed"


def test_modes_merge_and_never_clear_opt_outs(api: Api, br: dict[str, Any]) -> None:
    from chalicelib.contacts.service import is_opted_out

    user_id = br["user"]["user_id"]
    api.post(
        "/api/contacts",
        {"phone": "+5511900000001", "name": "Old", "email": "old@x.com", "tags": ["keep"]},
    )
    api.post("/api/contacts/5511900000001/opt-out", {"source": "stop_reply"})
    file = csv_bytes(
        [["name", "phone", "email"], ["New", "11 90000-0001", ""], ["Fresh", "11 90000-0002", ""]]
    )
    _, added, _ = _run(api, file, {"mode": "add", "tags": ["imported"]})
    assert (added["created"], added["existing"], added["already_opted_out"]) == (1, 1, 1)
    old = _contacts(api)["+5511900000001"]
    assert old["name"] == "Old" and old["tags"] == ["imported", "keep"] and old["opted_out"]

    _, updated, _ = _run(api, file, {"mode": "update"})
    assert (updated["updated"], updated["existing"], updated["created"]) == (1, 1, 0)
    old = _contacts(api)["+5511900000001"]
    assert (old["name"], old["email"]) == ("New", "old@x.com")  # empty cells never erase
    assert old["opted_out"] is True and old["opted_out_source"] == "stop_reply"
    assert is_opted_out(user_id, "+5511900000001")

    stop = csv_bytes([["phone"], ["11 90000-0002"], ["11 90000-0001"], ["11 90000-0009"]])
    _, opted, _ = _run(api, stop, {"mode": "opt_out", "mapping": {"0": "phone"}})
    assert (opted["opted_out"], opted["already_opted_out"], opted["created"]) == (2, 1, 0)
    assert is_opted_out(user_id, "+5511900000009")  # no contact, still recorded
    assert "+5511900000009" not in _contacts(api)
    assert _contacts(api)["+5511900000002"]["opted_out"] is True
    # A later add never clears it either.
    _run(api, file, {"mode": "update"})
    assert _contacts(api)["+5511900000002"]["opted_out"] is True
    counts = {t["tag"]: t["count"] for t in api.get("/api/contacts/tags").json["items"]}
    assert counts == {"keep": 1, "imported": 2}


def _messages() -> list[dict[str, Any]]:
    from chalicelib import aws, queues

    sqs = aws.client("sqs")
    url = queues.queue_url(queues.CONTACTS)
    return sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get(
        "Messages", []
    )


def _ack(messages: list[dict[str, Any]]) -> None:
    from chalicelib import aws, queues

    for m in messages:
        aws.client("sqs").delete_message(
            QueueUrl=queues.queue_url(queues.CONTACTS), ReceiptHandle=m["ReceiptHandle"]
        )


def test_chunks_are_idempotent_under_redelivery_and_crashes(
    api: Api, br: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.contacts import imports
    from chalicelib.workers import contacts_batch

    monkeypatch.setattr(imports, "CHUNK_ROWS", 7)
    rows = [["name", "phone", "tags"]]
    rows += [[f"P{i}", br_phone(i % 40), "a;b" if i % 2 else "a"] for i in range(60)]
    import_id = _create(api, csv_bytes(rows))
    api.post(f"/api/contacts/imports/{import_id}/start", {"tags": ["t"]})

    real_commit = imports._commit
    crashes = {"left": 3}

    def flaky_commit(*args: Any, **kwargs: Any) -> None:
        if crashes["left"] and crashes["left"] % 2:
            crashes["left"] -= 1
            raise RuntimeError("lambda died after writing contacts")
        crashes["left"] = max(0, crashes["left"] - 1)
        real_commit(*args, **kwargs)

    monkeypatch.setattr(imports, "_commit", flaky_commit)
    progress_seen = []
    for _ in range(200):
        messages = _messages()
        if not messages:
            break
        event = {"Records": [lambda_record(m) for m in messages]}
        result = contacts_batch(event)
        contacts_batch(event)  # every message delivered twice
        failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
        _ack([m for m in messages if m["MessageId"] not in failed])
        for m in messages:
            if m["MessageId"] in failed:  # make it visible again at once
                from chalicelib import aws, queues

                aws.client("sqs").change_message_visibility(
                    QueueUrl=queues.queue_url(queues.CONTACTS),
                    ReceiptHandle=m["ReceiptHandle"],
                    VisibilityTimeout=0,
                )
        view = api.get(f"/api/contacts/imports/{import_id}").json
        progress_seen.append((view["status"], view["progress"]))
    done = api.get(f"/api/contacts/imports/{import_id}").json
    assert done["status"] == "completed", done
    assert (done["rows_read"], done["created"], done["duplicates"]) == (60, 40, 20)
    assert any(s == "running" and 0 < p < 1 for s, p in progress_seen)
    counts = {t["tag"]: t["count"] for t in api.get("/api/contacts/tags").json["items"]}
    assert counts == {"a": 40, "b": 20, "t": 40}
    assert len(_contacts(api)) == 40


def test_cancel_stops_the_import(
    api: Api, br: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.contacts import imports
    from chalicelib.workers import contacts_batch

    monkeypatch.setattr(imports, "CHUNK_ROWS", 5)
    rows = [["phone"]] + [[br_phone(i)] for i in range(50)]
    import_id = _create(api, csv_bytes(rows))
    api.post(f"/api/contacts/imports/{import_id}/start", {})
    for _ in range(2):  # prepare, then one chunk
        messages = _messages()
        contacts_batch({"Records": [lambda_record(m) for m in messages]})
        _ack(messages)
    cancelled = api.post(f"/api/contacts/imports/{import_id}/cancel")
    assert cancelled.status == 200 and cancelled.json["status"] == "cancelled"
    drain_contacts_queue()
    done = api.get(f"/api/contacts/imports/{import_id}").json
    assert done["status"] == "cancelled" and done["created"] == 5
    assert len(_contacts(api)) == 5
    again = api.post(f"/api/contacts/imports/{import_id}/cancel")
    assert again.status == 409


def test_row_limit_truncates_honestly(
    api: Api, br: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.contacts import imports

    monkeypatch.setattr(imports, "MAX_ROWS", 10)
    monkeypatch.setattr(imports, "CHUNK_ROWS", 4)
    rows = [["phone"]] + [[br_phone(i)] for i in range(25)]
    _, done, import_id = _run(api, csv_bytes(rows), {"mapping": {"0": "phone"}})
    assert done["status"] == "completed" and done["truncated"] is True
    assert done["rows_read"] == 10 and done["created"] == 10
    assert "more than 500,000 rows" in _report(api, import_id)[-1][2]


def test_last_failed_attempt_marks_the_import_failed(
    api: Api, br: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.contacts import imports

    import_id = _create(api, csv_bytes([["phone"], ["11 98765-4321"]]))
    api.post(f"/api/contacts/imports/{import_id}/start", {})
    _ack(_messages())

    def boom(*args: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(imports, "prepare", boom)
    body = {"kind": "import", "user_id": br["user"]["user_id"], "import_id": import_id}
    with pytest.raises(RuntimeError):
        imports.handle_message({**body, "offset": -1}, receive_count=1)
    imports.handle_message({**body, "offset": -1}, receive_count=5)
    item = api.get(f"/api/contacts/imports/{import_id}").json
    assert item["status"] == "failed" and "internal error" in item["error"]


def test_a_broken_chain_resumes_from_a_redelivered_message(
    api: Api, br: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.contacts import imports
    from chalicelib.models.contacts import ImportModel

    monkeypatch.setattr(imports, "CHUNK_ROWS", 3)
    import_id = _create(api, csv_bytes([["phone"]] + [[br_phone(i)] for i in range(9)]))
    api.post(f"/api/contacts/imports/{import_id}/start", {})
    user_id = br["user"]["user_id"]
    body = {"kind": "import", "user_id": user_id, "import_id": import_id}
    imports.handle_message({**body, "offset": -1})
    first = int(ImportModel.get(user_id, import_id).next_offset)
    imports.handle_message({**body, "offset": first})
    _ack(_messages())  # the next chunk's message is lost
    imports.handle_message({**body, "offset": first})  # stale and recent: ignored
    assert _messages() == []
    ImportModel(user_id, import_id).update(actions=[ImportModel.updated_at.set(0)])
    imports.handle_message({**body, "offset": first})  # stale and stuck: resumed
    drain_contacts_queue()
    assert api.get(f"/api/contacts/imports/{import_id}").json["created"] == 9


def test_other_tenants_import_reads_404(api: Api, br: dict[str, Any]) -> None:
    import_id = _create(api, csv_bytes([["phone"], ["11 98765-4321"]]))
    other = register_and_login(api)["token"]
    for method, path in [
        ("GET", ""),
        ("GET", "/preview"),
        ("POST", "/start"),
        ("POST", "/cancel"),
        ("GET", "/errors"),
    ]:
        reply = api.request(method, f"/api/contacts/imports/{import_id}{path}", {}, token=other)
        assert reply.status == 404, (method, path, reply.json)
    assert api.get("/api/contacts/imports", token=other).json["items"] == []
    assert api.get(f"/api/contacts/imports/{import_id}").status == 200
    assert api.get("/api/contacts/imports/imp_nope").status == 404
    assert json.loads(json.dumps(api.get("/api/contacts/imports").json))["items"]


def test_an_opt_out_racing_a_chunk_is_kept(
    api: Api, br: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """STOP arrives after the chunk read the opt-outs but before it wrote contacts."""
    from chalicelib.contacts import imports, service

    user_id = br["user"]["user_id"]
    real_plan = imports.plan_chunk

    def plan_then_stop(*args: Any) -> Any:
        plan = real_plan(*args)
        service.opt_out(user_id, "+5511987654321", "stop_reply")
        return plan

    monkeypatch.setattr(imports, "plan_chunk", plan_then_stop)
    _, done, _ = _run(api, csv_bytes([["phone"], ["11 98765-4321"]]), {"mapping": {"0": "phone"}})
    assert done["created"] == 1
    assert _contacts(api)["+5511987654321"]["opted_out"] is True


def test_excel_sep_line_and_fallback_phone_column(api: Api, br: dict[str, Any]) -> None:
    data = (
        "sep=;\r\n"
        "Nome;Telefone;Celular\r\n"
        "Ana;bad;11 98765-4321\r\n"
        "Bob;;11 91234-5678\r\n"
        "Cid;x;\r\n"
    ).encode("cp1252")
    preview, done, import_id = _run(api, data)
    assert preview["delimiter"] == ";" and preview["header"] == ["Nome", "Telefone", "Celular"]
    assert preview["suggested_mapping"] == {"0": "name", "1": "phone_alt", "2": "phone"}
    assert (done["created"], done["invalid"], done["warnings"]) == (2, 1, 0)
    rows = _report(api, import_id)
    assert [r[0] for r in rows] == ["5"]  # sep line is row 1, header row 2
    _, done, import_id = _run(
        api, data, {"mapping": {"0": "name", "1": "phone", "2": "phone_alt"}, "mode": "update"}
    )
    assert done["warnings"] == 1
    assert [r[0] for r in _report(api, import_id)] == ["3", "5"]


def test_small_ranges_split_records_utf16_and_giant_lines(
    api: Api, br: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ranges much smaller than rows: records cut at range ends, multi-line quoted cells,
    a line longer than a whole range, all through a UTF-16 working copy."""
    from chalicelib.contacts import imports

    monkeypatch.setattr(imports, "RANGE_BYTES", 300)
    monkeypatch.setattr(imports, "CHUNK_ROWS", 4)
    rows = [["Nome", "Celular", "Notas"]]
    for i in range(30):
        rows.append([f"Pessoa {i} ção", br_phone(i), 'linha 1\nlinha 2, "citação"'])
    rows.insert(10, ["Gigante", "x" * 1000, ""])  # longer than a range: row 11
    preview, done, import_id = _run(api, csv_bytes(rows, "utf-16-le", "\t", bom=True))
    assert preview["encoding"] == "utf-16-le" and preview["delimiter"] == "\t"
    assert done["status"] == "completed", done
    assert (done["rows_read"], done["created"], done["invalid"]) == (31, 30, 1)
    report = _report(api, import_id)
    assert [(r[0], r[2]) for r in report] == [("11", "row is longer than 64 KB")]
    contact = _contacts(api)[br_phone(29)]
    assert contact["name"] == "Pessoa 29 ção"
    assert contact["fields"] == {"notas": 'linha 1\nlinha 2, "citação"'}
