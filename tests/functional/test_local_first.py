"""Local first (issue 14) through the API: the account's country/time zone/language,
opt-out replies by language and their review, the composer's check, the import
preview's phone check, headers in other languages, .xlsx, tag spelling, fields."""

from __future__ import annotations

import base64
import io
from datetime import date, datetime
from typing import Any

import pytest

from tests.contacts.fixtures import csv_bytes, drain_contacts_queue
from tests.functional.agentlink import FakeManagement
from tests.functional.campaignkit import Setup, add_contacts, counters
from tests.functional.conftest import Api


@pytest.fixture
def kit(api: Api, user: dict[str, Any], chalice_app: Any, fake: FakeManagement) -> Setup:
    return Setup(api, chalice_app, fake)


def _inbound(kit: Setup, phone: str, body: str, message_id: str) -> None:
    kit.agent.send(
        {
            "type": "inbound",
            "session_id": kit.session_id,
            "from_phone": phone,
            "body": body,
            "wa_message_id": message_id,
            "ts": 1_700_000_000_000,
        }
    )


# --- the account ----------------------------------------------------------------------


def test_a_new_account_is_asked_once_then_keeps_its_local_settings(
    api: Api, user: dict[str, Any]
) -> None:
    me = api.get("/api/me").json
    assert me["onboarded"] is False and me["default_region"] == "US"
    saved = api.patch(
        "/api/me",
        {
            "default_region": "br",
            "timezone": "America/Sao_Paulo",
            "language": "pt",
            "onboarded": True,
        },
    )
    assert saved.status == 200, saved.json
    me = api.get("/api/me").json
    assert (me["default_region"], me["timezone"], me["language"]) == (
        "BR",
        "America/Sao_Paulo",
        "pt",
    )
    assert me["onboarded"] is True and me["optout_languages"] == ["pt", "en"]
    changed = api.patch("/api/me", {"optout_languages": ["pt", "es"], "optout_words": ["Chega"]})
    assert changed.json["optout_languages"] == ["pt", "es"]
    assert changed.json["optout_words"] == ["Chega"]
    bad = api.patch("/api/me", {"language": "xx", "optout_words": ["!!!"]})
    assert bad.status == 422
    assert {d["loc"][-1] for d in bad.json["error"]["details"]} >= {"language", "optout_words"}


def test_campaigns_default_to_the_accounts_time_zone(kit: Setup, api: Api) -> None:
    api.patch("/api/me", {"timezone": "America/Sao_Paulo"})
    assert kit.campaign()["timezone"] == "America/Sao_Paulo"
    assert kit.campaign(timezone="Europe/Madrid")["timezone"] == "Europe/Madrid"


# --- opt-out replies ------------------------------------------------------------------


def test_portuguese_replies_opt_out_and_show_on_the_contact(kit: Setup, api: Api) -> None:
    api.patch("/api/me", {"language": "pt"})
    phones = add_contacts(api, 3)
    cid = kit.campaign()["campaign_id"]
    kit.launch(cid)
    _inbound(kit, phones[0], "Não quero mais receber!", "in-1")
    _inbound(kit, phones[0], "Não quero mais receber!", "in-1")  # re-sent frame
    contact = api.get(f"/api/contacts/{phones[0]}").json
    assert contact["opted_out"] is True and contact["opted_out_source"] == "reply"
    assert contact["opted_out_reply"] == "Não quero mais receber!"
    assert counters(api, cid)["skipped"] == 1
    assert phones[0] not in [m["phone"] for m in kit.pull()]


def test_a_maybe_opt_out_is_kept_for_review_and_can_be_confirmed(kit: Setup, api: Api) -> None:
    api.patch("/api/me", {"language": "pt"})
    phones = add_contacts(api, 3)
    cid = kit.campaign()["campaign_id"]
    kit.launch(cid)
    _inbound(kit, phones[1], "pare de mandar isso", "in-2")
    _inbound(kit, phones[1], "pare de mandar isso", "in-2")  # re-sent: still one review
    _inbound(kit, phones[2], "isso é spam", "in-3")
    assert api.get(f"/api/contacts/{phones[1]}").json["opted_out"] is False
    reviews = api.get("/api/contacts/opt-out-reviews").json["items"]
    assert [(r["phone"], r["body"], r["matched"]) for r in reviews] == [
        (phones[2], "isso é spam", "spam"),
        (phones[1], "pare de mandar isso", "pare"),
    ]
    confirmed = api.post(f"/api/contacts/opt-out-reviews/{reviews[1]['review_id']}/confirm")
    assert confirmed.status == 200 and confirmed.json["status"] == "confirmed"
    contact = api.get(f"/api/contacts/{phones[1]}").json
    assert contact["opted_out"] is True and contact["opted_out_reply"] == "pare de mandar isso"
    assert counters(api, cid)["skipped"] == 1
    dismissed = api.post(f"/api/contacts/opt-out-reviews/{reviews[0]['review_id']}/dismiss")
    assert dismissed.json["status"] == "dismissed"
    again = api.post(f"/api/contacts/opt-out-reviews/{reviews[0]['review_id']}/confirm")
    assert again.status == 409 and again.error_code == "review_decided"
    assert api.get("/api/contacts/opt-out-reviews").json["items"] == []
    assert api.get(f"/api/contacts/{phones[2]}").json["opted_out"] is False
    assert api.post("/api/contacts/opt-out-reviews/rev_nope/confirm").status == 404


def test_words_of_a_language_that_is_off_only_get_flagged(kit: Setup, api: Api) -> None:
    api.patch("/api/me", {"language": "en"})  # opt-out languages: en
    phones = add_contacts(api, 2)
    _inbound(kit, phones[0], "SAIR", "in-4")
    assert api.get(f"/api/contacts/{phones[0]}").json["opted_out"] is False
    assert api.get("/api/contacts/opt-out-reviews").json["items"][0]["language"] == "pt"
    api.patch("/api/me", {"optout_languages": ["en", "pt"]})
    _inbound(kit, phones[1], "sair", "in-5")
    assert api.get(f"/api/contacts/{phones[1]}").json["opted_out"] is True


def test_the_composer_warns_about_a_reply_word_that_does_not_opt_out(
    api: Api, user: dict[str, Any]
) -> None:
    api.patch("/api/me", {"language": "en"})
    text = {"text": "Feliz Natal! Responda SAIR para não receber mais mensagens"}
    check = api.post("/api/contacts/opt-out-words/check", text).json
    assert check["words"] == [{"word": "SAIR", "active": False, "languages": ["pt"]}]
    assert "SAIR" in check["warning"] and "Portuguese" in check["warning"]
    api.patch("/api/me", {"optout_languages": ["pt", "en"]})
    check = api.post("/api/contacts/opt-out-words/check", text).json
    assert check["words"][0]["active"] is True and check["warning"] is None
    own = api.post("/api/contacts/opt-out-words/check", {"text": "Reply NOMORE to stop"}).json
    assert own["warning"] and "not one of your opt-out words" in own["warning"]
    api.patch("/api/me", {"optout_words": ["nomore"]})
    own = api.post("/api/contacts/opt-out-words/check", {"text": "Reply NOMORE to stop"}).json
    assert own["warning"] is None
    overview = api.get("/api/contacts/opt-out-words").json
    active = {lang["code"] for lang in overview["languages"] if lang["active"]}
    assert active == {"pt", "en"} and overview["extra_words"] == ["nomore"]


# --- phones in the import preview -------------------------------------------------------


def _upload(api: Api, data: bytes, filename: str = "clientes.csv") -> str:
    body = {"filename": filename, "content_base64": base64.b64encode(data).decode()}
    reply = api.post("/api/contacts/imports", body)
    assert reply.status == 201, reply.json
    return str(reply.json["import"]["import_id"])


def _brazilian_file(rows: int) -> bytes:
    lines = [["Nome", "Celular"]]
    lines += [[f"Cliente {i}", f"(11) 9{i:04d}-{(i * 7) % 10000:04d}"] for i in range(rows)]
    lines.append(["Turista", "989318243306"])  # valid only as an Iranian number with US
    return csv_bytes(lines)


def test_a_brazilian_file_read_as_us_proposes_brazil_and_flags_the_iranian_reading(
    api: Api, user: dict[str, Any]
) -> None:
    import_id = _upload(api, _brazilian_file(40))
    preview = api.get(f"/api/contacts/imports/{import_id}/preview").json
    phones = preview["phones"]
    assert (phones["region"], phones["checked"], phones["valid"]) == ("US", 41, 0)
    assert phones["other_country"] == 1
    assert phones["other_country_examples"][0]["country"] == "IR"
    assert phones["suggestion"] == {"region": "BR", "country_name": "Brazil", "valid": 40}
    again = api.get(f"/api/contacts/imports/{import_id}/preview?region=BR").json["phones"]
    assert (again["valid"], again["invalid"], again["suggestion"]) == (40, 0, None)
    assert again["other_country"] == 1  # still only Iranian when read as Brazilian

    started = api.post(f"/api/contacts/imports/{import_id}/start", {"default_region": "BR"})
    assert started.status == 202, started.json
    drain_contacts_queue()
    done = api.get(f"/api/contacts/imports/{import_id}").json
    assert (done["created"], done["invalid"]) == (40, 1)  # never silently accepted
    assert api.get("/api/contacts/+989318243306").status == 404

    accepted = _upload(api, _brazilian_file(2))
    api.get(f"/api/contacts/imports/{accepted}/preview")
    body = {"default_region": "BR", "accept_other_countries": True}
    assert api.post(f"/api/contacts/imports/{accepted}/start", body).status == 202
    drain_contacts_queue()
    done = api.get(f"/api/contacts/imports/{accepted}").json
    assert (done["created"], done["invalid"], done["warnings"]) == (1, 0, 1)
    assert api.get("/api/contacts/+989318243306").status == 200


def test_add_contact_reads_with_the_accounts_region(api: Api, user: dict[str, Any]) -> None:
    refused = api.post("/api/contacts", {"phone": "(11) 91234-5678"})
    assert refused.status == 422  # the account is still on US
    api.patch("/api/me", {"default_region": "BR"})
    added = api.post("/api/contacts", {"phone": "(11) 91234-5678"})
    assert added.status == 201 and added.json["phone"] == "+5511912345678"
    foreign = api.post("/api/contacts", {"phone": "989318243306"})
    assert foreign.status == 422 and foreign.error_code == "other_country"
    assert "Iran" in foreign.json["error"]["message"]
    assert api.post("/api/contacts", {"phone": "+98 931 824 3306"}).status == 201


# --- headers in other languages ---------------------------------------------------------


def test_a_german_file_gets_its_phone_column_suggested(api: Api, user: dict[str, Any]) -> None:
    api.patch("/api/me", {"default_region": "DE"})
    data = csv_bytes(
        [
            ["Vorname", "Nachname", "Telefon", "E-Mail-Adresse", "Stadt"],
            ["Jürgen", "Groß", "030 1234567", "j@example.de", "Berlin"],
            ["Anna", "Weiß", "0151 23456789", "a@example.de", "Köln"],
        ]
    )
    preview = api.get(f"/api/contacts/imports/{_upload(api, data)}/preview").json
    assert preview["suggested_mapping"] == {
        "0": "first_name",
        "1": "last_name",
        "2": "phone",
        "3": "email",
        "4": "field:stadt",
    }
    assert preview["phones"]["valid"] == 2


def test_unknown_headers_get_the_phone_column_from_its_values(
    api: Api, user: dict[str, Any]
) -> None:
    api.patch("/api/me", {"default_region": "BR"})
    data = csv_bytes([["Cliente VIP", "Contato zap zap"], ["Ana", "11 98765-4321"], ["Bia", ""]])
    preview = api.get(f"/api/contacts/imports/{_upload(api, data)}/preview").json
    assert preview["suggested_mapping"]["1"] == "phone"


# --- .xlsx ---------------------------------------------------------------------------------


def test_an_xlsx_file_imports_with_iso_dates_and_formula_values(
    api: Api, user: dict[str, Any]
) -> None:
    from openpyxl import Workbook

    api.patch("/api/me", {"default_region": "BR"})
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Nome", "Celular", "Última visita", "Total"])
    sheet.append(["Ana", 5511987654321, date(2026, 11, 3), 10])
    sheet.append(["Bia", "(11) 91234-5678", datetime(2026, 12, 24, 0, 0), "=D2*2"])
    book.create_sheet("Outra").append(["ignored", "+14155550000"])
    buffer = io.BytesIO()
    book.save(buffer)
    data = buffer.getvalue()
    # openpyxl writes no cached value for a formula; Excel would. Add one as Excel does.
    data = _with_cached_value(data, "D3", "20")

    import_id = _upload(api, data, "clientes.xlsx")
    preview = api.get(f"/api/contacts/imports/{import_id}/preview").json
    assert preview["header"] == ["Nome", "Celular", "Última visita", "Total"]
    assert preview["rows"] == [
        ["Ana", "5511987654321", "2026-11-03", "10"],
        ["Bia", "(11) 91234-5678", "2026-12-24", "20"],
    ]
    assert api.post(f"/api/contacts/imports/{import_id}/start", {}).status == 202
    drain_contacts_queue()
    done = api.get(f"/api/contacts/imports/{import_id}").json
    assert (done["status"], done["created"], done["invalid"]) == ("completed", 2, 0)
    bia = api.get("/api/contacts/+5511912345678").json
    assert bia["fields"] == {"ultima_visita": "2026-12-24", "total": "20"}

    broken = _upload(api, b"PK\x03\x04 not really a workbook", "broken.xlsx")
    refused = api.get(f"/api/contacts/imports/{broken}/preview")
    assert refused.status == 422 and refused.error_code == "not_xlsx"


def _with_cached_value(data: bytes, cell: str, value: str) -> bytes:
    """Give a formula cell the cached value Excel stores next to it."""
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = content.decode()
                start = text.index(f'<c r="{cell}"')
                end = text.index("</c>", start)
                fragment = text[start:end].replace("<v />", "").replace("<v></v>", "")
                text = text[:start] + fragment + f"<v>{value}</v>" + text[end:]
                content = text.encode()
            target.writestr(info, content)
    return out.getvalue()


# --- tags and custom fields ------------------------------------------------------------------


def test_tags_keep_their_spelling_and_fields_filter_the_list(
    api: Api, user: dict[str, Any]
) -> None:
    api.patch("/api/me", {"default_region": "BR"})
    first = api.post(
        "/api/contacts",
        {"phone": "11987654321", "tags": ["Clientes Loja"], "fields": {"cidade": "Santos"}},
    )
    assert first.json["tags"] == ["Clientes Loja"]
    api.post(
        "/api/contacts",
        {"phone": "11912345678", "tags": ["clientes loja"], "fields": {"cidade": "Campinas"}},
    )
    tags = api.get("/api/contacts/tags").json["items"]
    assert tags == [{"tag": "clientes loja", "count": 2, "label": "Clientes Loja"}]
    listed = api.get("/api/contacts?tag=CLIENTES%20LOJA").json["items"]
    assert [c["tags"] for c in listed] == [["Clientes Loja"], ["Clientes Loja"]]
    santos = api.get("/api/contacts?field=cidade&field_value=Santos").json["items"]
    assert [c["phone"] for c in santos] == ["+5511987654321"]
    renamed = api.patch("/api/contacts/+5511987654321", {"name": "Maria da Silva"})
    assert renamed.json["name"] == "Maria da Silva"


def test_the_custom_field_filter_ignores_case_and_accents(api: Api, user: dict[str, Any]) -> None:
    api.patch("/api/me", {"default_region": "BR"})
    people = {
        "11987654321": {"cidade": "São Paulo"},
        "11912345678": {"cidade": "SAO PAULO - Centro"},
        "11955554444": {"cidade": "Santos"},
        "11933332222": {"bairro": "São Paulo"},  # the text, but in another field
    }
    for phone, fields in people.items():
        api.post("/api/contacts", {"phone": phone, "fields": fields})

    def phones(value: str) -> list[str]:
        url = f"/api/contacts?field=cidade&field_value={value}"
        return [c["phone"] for c in api.get(url).json["items"]]

    both = ["+5511912345678", "+5511987654321"]
    assert phones("sao paulo") == both
    assert phones("SÃO%20PAULO") == both
    assert phones("são") == both
    assert phones("centro") == ["+5511912345678"]
    assert phones("santos") == ["+5511955554444"]
    assert phones("Recife") == []
    # a short page still pages on through matches only
    first = api.get("/api/contacts?field=cidade&field_value=sao&limit=1").json
    assert [c["phone"] for c in first["items"]] == ["+5511912345678"]
    cursor = first["next_cursor"]
    rest = api.get(f"/api/contacts?field=cidade&field_value=sao&limit=1&cursor={cursor}")
    assert [c["phone"] for c in rest.json["items"]] == ["+5511987654321"]


def test_tags_from_a_file_keep_the_files_spelling(api: Api, user: dict[str, Any]) -> None:
    api.patch("/api/me", {"default_region": "BR"})
    data = csv_bytes(
        [["Nome", "Celular", "Etiquetas"], ["Ana", "11 98765-4321", "Clientes Loja; VIP"]]
    )
    import_id = _upload(api, data)
    api.get(f"/api/contacts/imports/{import_id}/preview")
    body = {"tags": ["Natal 2026"]}
    assert api.post(f"/api/contacts/imports/{import_id}/start", body).status == 202
    drain_contacts_queue()
    tags = {t["tag"]: t["label"] for t in api.get("/api/contacts/tags").json["items"]}
    assert tags == {"clientes loja": "Clientes Loja", "vip": "VIP", "natal 2026": "Natal 2026"}
    contact = api.get("/api/contacts/+5511987654321").json
    assert contact["tags"] == ["Clientes Loja", "Natal 2026", "VIP"]
