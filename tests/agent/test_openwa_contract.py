"""The OpenWA package is the contract: every string and shape the agent relies on, asserted
against the pinned @open-wa/wa-automate source (installed by scripts/openwa_install.sh), so an
upgrade that changes one fails here and not in a customer's campaign."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from agent import openwa
from agent.driver import (
    OpenWASession,
    number_exists,
    outcome_of_reply,
    sent_by_this_number,
)
from agent.openwa_sim import core as sim_core
from agent.webhooks import WebhookReceiver
from tests.agent.conftest import REPO, make_config
from wacast_protocol import FailReason, Outcome, StartFailReason

SHARED = REPO.parent / "shared" / "openwa"
FLAGS_FILE = Path(__file__).with_name("openwa-cli-flags-4.76.0.txt")


@pytest.fixture(scope="session")
def pkg(openwa_pkg: Path) -> Path:
    return openwa_pkg


def src(pkg: Path, rel: str) -> str:
    return (pkg / rel).read_text(encoding="utf-8")


def method_body(source: str, signature: str) -> str:
    """The text of one method of Client.js, from its signature to the next method."""
    start = source.index(f"\n    {signature}")
    end = source.find("\n    }\n", start)
    return source[start:end]


def test_version_and_install_is_idempotent(pkg: Path) -> None:
    assert json.loads(src(pkg, "package.json"))["version"] == openwa.OPENWA_VERSION
    again = subprocess.run(
        ["bash", str(REPO / "scripts" / "openwa_install.sh")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.returncode == 0 and again.stderr == ""  # nothing installed the second time
    # the STARTUP event the agent reads the running version from
    assert "spinner.succeed(`Version: ${exports.pkg.version}`)" in src(
        pkg, "dist/controllers/initializer.js"
    )
    assert openwa.version_from_event("Version: 4.76.0") == "4.76.0"
    assert openwa.installed_version(["node", str(pkg / "bin" / "server.js")]) == "4.76.0"


def test_send_text_refusal_strings(pkg: Path) -> None:
    wapi = src(pkg, "dist/lib/wapi.js")
    send_message = wapi[wapi.index("window.WAPI.sendMessage = ") :]
    send_message = send_message[: send_message.index("\n};")]
    assert "if (id === 'status@broadcast') return 'Not able to send message to broadcast';" in (
        send_message
    )
    # the licence wall: a chat that does not exist yet, with a number that is not a contact
    assert "if (!contact || !contact.isMyContact) return 'Not a contact';" in send_message
    assert send_message.rstrip().endswith("return false;")

    client = src(pkg, "dist/api/Client.js")
    body = method_body(client, "sendText(to, content) {")
    errors = re.search(r"const err = \[(.*?)\];", body, re.S)
    assert errors is not None
    listed = re.findall(r"'([^']*)'", errors.group(1))
    assert listed == [
        openwa.BROADCAST,
        "Not a contact",
        openwa.NOT_LINKED,
        openwa.NO_CHATS,
    ]
    template = "msg = `ERROR: ${res}. Unlock this feature and support open-wa by getting a license: ${yield this.link()}`;"  # noqa: E501
    assert template in body
    wall = template.split("`")[1].replace("${res}", "Not a contact").split(" ${")[0]
    assert wall == openwa.LICENSE_WALL
    assert "return `https://get.openwa.dev/l/${yield this.getHostNumber()}" in client
    # the simulator answers the very same text
    assert sim_core.LICENSE_WALL.format(host="447700900123") == (
        f"{openwa.LICENSE_WALL} https://get.openwa.dev/l/447700900123"
    )
    assert sim_core.NOT_LINKED == openwa.NOT_LINKED


def test_rest_reply_shape(pkg: Path) -> None:
    middleware = src(pkg, "dist/api/Client.js")
    middleware = middleware[middleware.index("this.middleware = ") :]
    middleware = middleware[: middleware.index('if (req.method === "GET")')]
    assert (
        'if (typeof response == \'string\' && (response.startsWith("Error") || response.startsWith("ERROR")))'  # noqa: E501
        in middleware
    )
    assert re.search(r"res\.send\(\{\s*success,\s*response\s*\}\)", middleware)
    assert re.search(
        r"success: false,\s*error: \{\s*name: error\.name,\s*message: error\.message,\s*data: error\.data",  # noqa: E501
        middleware,
    )
    # named args are mapped to the method's parameter names
    assert "args = methodArgs.map(argName => args[argName]);" in middleware
    # responseWrap only rewrites refusals when onError is configured; the agent sets none
    assert 'if (this._createConfig.onError && typeof res == "string"' in src(
        pkg, "dist/api/Client.js"
    )


@pytest.mark.parametrize(
    ("body", "outcome", "reason"),
    [
        (
            {"success": False, "response": sim_core.LICENSE_WALL.format(host="447700900123")},
            Outcome.failed,
            FailReason.needs_license,
        ),
        (
            {"success": False, "response": openwa.NOT_LINKED},
            Outcome.failed,
            FailReason.not_on_whatsapp,
        ),
        ({"success": False, "response": openwa.NO_CHATS}, Outcome.failed, FailReason.no_chats),
        (
            {"success": True, "response": openwa.BROADCAST},
            Outcome.failed,
            FailReason.broadcast_refused,
        ),
        ({"success": True, "response": False}, Outcome.failed, FailReason.chat_not_found),
        ({"success": True, "response": True}, Outcome.sent, None),
        ({"success": True, "response": "true_447700900001@c.us_3EB0AB"}, Outcome.sent, None),
        (
            {"success": False, "error": {"name": "Error", "message": sim_core.RESTRICTED_ERROR}},
            Outcome.failed,
            FailReason.restricted,
        ),
        (
            {"success": False, "error": {"name": "PageEvaluationTimeout", "message": "x" * 900}},
            Outcome.failed,
            FailReason.unknown,
        ),
        (
            {"success": False, "response": "ERROR: something new"},
            Outcome.failed,
            FailReason.unknown,
        ),
    ],
)
def test_reply_mapping(body: dict[str, Any], outcome: Outcome, reason: FailReason | None) -> None:
    reply = openwa.parse_reply(body)
    assert reply is not None
    got = outcome_of_reply(reply)
    assert (got.outcome, got.reason) == (outcome, reason)
    if reason == FailReason.unknown:  # the engine's words are kept, trimmed to 500
        assert got.detail and len(got.detail) <= 500
    else:
        assert got.detail is None
    if body.get("response") == "true_447700900001@c.us_3EB0AB":
        assert got.wa_message_id == "true_447700900001@c.us_3EB0AB"


def test_send_image_returns_true_unless_wait_for_id(pkg: Path) -> None:
    client = src(pkg, "dist/api/Client.js")
    sig = "sendImage(to, file, filename, caption, quotedMsgId, waitForId, ptt, withoutPreview, hideTags, viewOnce, requestConfig) {"  # noqa: E501
    body = method_body(client, sig)
    assert "return (err.includes(res) ? false : res);" in body
    assert "sendFile(to, file, filename, caption, quotedMsgId, waitForId," in client
    wapi = src(pkg, "dist/lib/wapi.js")
    send_image = wapi[wapi.index("window.WAPI.sendImage = ") :]
    send_image = send_image[: send_image.index("\n}\n")]
    assert "return waitForKey ? await new Promise(" in send_image
    assert "resolve(msg.id._serialized)" in send_image
    assert re.search(r"\}\) : true", send_image)
    # the driver asks with the parameter's own name
    assert "waitForId" in sig
    # the wait for the id listens to the first clientUrl change of *any* message only: when
    # that one is not ours the answer never comes, though the image went out (the driver
    # then takes the id from the ack stream)
    assert "if (media.attributes.file.size === msg.size) resolve(msg.id._serialized);" in (
        send_image
    )
    assert "Store.Msg.off('change:clientUrl', cb);" in send_image
    assert "setTimeout" not in send_image


def test_ack_stream_shape(pkg: Path) -> None:
    """onAck sends the raw model through quickClean: no fromMe (onMessage's processMessageObj
    has one), the key as its serialized id "<fromMe>_<chat>_<id>", and t, the time the message
    was made; the driver tells its own messages by that id."""
    wapi = src(pkg, "dist/lib/wapi.js")
    assert 'Store.Msg.on("change:ack", m => callback(WAPI.quickClean(m)));' in wapi
    clean = wapi[wapi.index("window.WAPI.quickClean = ") :]
    clean = clean[: clean.index("\n};")]
    assert "fromMe" not in clean
    assert "forEach(k => r[k] = r[k]._serialized)" in clean
    assert "newMsgId._serialized = `${newMsgId.fromMe}_${newMsgId.remote}_${newMsgId.id}`" in wapi
    ack = {"id": "true_447700900001@c.us_3EB0AB", "ack": 2, "type": "image", "t": 1}
    assert sent_by_this_number(ack)
    assert not sent_by_this_number({**ack, "id": "false_447700900001@c.us_3EB0AB"})
    assert not sent_by_this_number({**ack, "fromMe": False})


def test_get_message_by_id_and_check_number(pkg: Path) -> None:
    client = src(pkg, "dist/api/Client.js")
    assert "return yield this.pup(messageId => WAPI.getMessageById(messageId), messageId);" in (
        method_body(client, "getMessageById(messageId) {")
    )
    assert "WAPI.checkNumberStatus(contactId)" in method_body(
        client, "checkNumberStatus(contactId) {"
    )
    wapi = src(pkg, "dist/lib/wapi.js")
    by_id = wapi[wapi.index("window.WAPI.getMessageById = ") :]
    by_id = by_id[: by_id.index("\n};")]
    assert "result = WAPI.processMessageObj(msg, true, true);" in by_id
    serialize = wapi[wapi.index("window.WAPI._serializeMessageObj = ") :]
    serialize = serialize[: serialize.index("\n};")]
    # ack comes with the raw model attributes; id/to/fromMe are set explicitly
    assert "window.WAPI._serializeRawObj(obj)" in serialize
    for field in ("id: obj.id._serialized", "to: obj.to ?", "fromMe: obj.id.fromMe"):
        assert field in serialize
    # ack comes from the model's own toJSON; the Message type declares it
    assert "return obj.toJSON();" in wapi[wapi.index("window.WAPI._serializeRawObj = ") :][:200]
    message_d_ts = src(pkg, "dist/api/model/message.d.ts")
    assert re.search(r"\n    ack: MessageAck;", message_d_ts)
    # the ack stream the driver listens to: every change of ack, the message cleaned
    assert 'Store.Msg.on("change:ack", m => callback(WAPI.quickClean(m)));' in wapi
    check = wapi[wapi.index("window.WAPI.checkNumberStatus = ") :][:600]
    assert "if (data.status == 200) data.numberExists = true" in check
    # not on WhatsApp: 404 with no numberExists key (it is only ever set to true)
    assert "if (result.jid === undefined) throw 404;" in check
    assert "status: e," in check
    shape = wapi[wapi.index("window.WAPI._serializeNumberStatusObj = ") :][:400]
    assert "canReceiveMessage: (obj.status === 200)" in shape and "numberExists" not in shape
    assert number_exists({"id": "4477@c.us", "status": 404, "canReceiveMessage": False}) is False
    assert number_exists({"status": 200, "numberExists": True}) is True
    assert number_exists({"id": "4477@c.us", "status": {}, "canReceiveMessage": False}) is None


def test_ready_webhook_names_the_host_number(pkg: Path) -> None:
    """The CLI posts READY with its config and the host number as hostAccountNumber."""
    index = src(pkg, "dist/cli/index.js")
    assert "{ hostAccountNumber: yield client.getHostNumber() }" in index
    assert 'namespace: "READY"' in index and "data: Object.assign({}, config)," in index


def test_env_and_config_file_rules(pkg: Path) -> None:
    setup = src(pkg, "dist/cli/setup.js")
    assert "filter(([k,]) => k.includes('WA'))" in setup
    assert "changeCase.camelCase(k.replace('WA_', ''))" in setup
    assert "const conf = config || process.env.WA_CLI_CONFIG;" in setup
    assert re.search(
        r"nonCliConfigs = Object\.assign\(Object\.assign\(\{\}, \(0, exports\.envArgs\)\(\)\), resolvedConfigFromFile\)",  # noqa: E501
        setup,
    )


def _resolve(pkg: Path, argv: list[str], env: dict[str, str], cwd: Path) -> dict[str, Any]:
    """Run OpenWA's own setup.js on an argv/env and return the config it resolves."""
    script = (
        "process.argv = ['node', 'wa-automate', ...JSON.parse(process.env.__ARGS)];"
        "delete process.env.__ARGS;"
        f"require({json.dumps(str(pkg / 'dist' / 'cli' / 'setup.js'))}).cli()"
        ".then(r => { process.stdout.write('\\n@@' + JSON.stringify(r.cliConfig)); process.exit(0); })"  # noqa: E501
        ".catch(e => { console.error(e); process.exit(1); });"
    )
    run_env = env | {"__ARGS": json.dumps(argv)}
    out = subprocess.run(
        ["node", "-e", script], env=run_env, cwd=cwd, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return dict(json.loads(out.stdout.rsplit("\n@@", 1)[1]))


def test_agent_command_line_and_environment_resolve_in_openwa(
    pkg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The agent's real argv + environment + WA_CLI_CONFIG file, read by OpenWA's setup.js."""
    monkeypatch.setenv("WACAST_AGENT_TOKEN", "agent-token-secret")  # must not leak into OpenWA
    monkeypatch.setenv("WACAST_OPENWA_LICENSE_KEY", "agent-wide")
    cfg = make_config(
        tmp_path,
        openwa_command=["node", str(pkg / "bin" / "server.js")],
        wa_executable_path="/usr/bin/chromium",
        license_key=None,
    )
    session = OpenWASession("s1", cfg, WebhookReceiver(), None, lambda f: None)  # type: ignore[arg-type]
    session.hooks = {k: f"http://127.0.0.1:9/hook/SECRET/{k}" for k in ("ev", "ready", "wh")}
    session.license_key = "LK-NUMBER-1"
    argv = session.argv()
    env = session.program.config.env
    assert env is not None
    assert not [k for k in env if "WA" in k and not k.startswith("WA_")]
    got = _resolve(pkg, argv[2:], env, session.dir)
    assert got["key"] == session.api_key
    assert got["ev"] == session.hooks["ev"]
    assert got["webhook"] == session.hooks["wh"]
    assert got["readyWebhook"] == session.hooks["ready"]
    assert got["licenseKey"] == "LK-NUMBER-1"
    assert got["executablePath"] == "/usr/bin/chromium"
    assert got["sessionId"] == "s1" and got["port"] == session.port
    assert got["sessionDataPath"] == str(session.dir) and got["allowIps"] == ["127.0.0.1"]
    assert got["ef"] == ["qr,STARTUP,MD_DETECT,critical_internal_message"]
    assert got["multiDevice"] is True and got["useChrome"] is True
    assert got["killProcessOnBan"] is True and got["qrTimeout"] == int(cfg.qr_timeout_s)
    assert not any(k.startswith("wacast") for k in got), got.keys()


def test_every_flag_the_agent_passes_exists(pkg: Path, tmp_path: Path) -> None:
    options = src(pkg, "dist/cli/cli-options.js")
    names = set(re.findall(r"name: '([^']+)'", options))
    aliases = set(re.findall(r"alias: '([^']+)'", options))
    schema = json.loads(src(pkg, "bin/config-schema.json"))
    schema_flags = {entry["p"] for entry in schema}
    # meow reads --force-port for an option named forcePort
    kebab = {re.sub(r"(?<=[a-z])([A-Z])", r"-\1", n).lower() for n in names | schema_flags}
    known = {f"--{n}" for n in names | kebab | schema_flags} | {f"-{a}" for a in aliases}
    # the recorded list kept beside the tests (and in shared/) is this package's list
    recorded = set(FLAGS_FILE.read_text().split())
    assert recorded <= known
    cfg = make_config(tmp_path, openwa_command=["node", str(pkg / "bin" / "server.js")])
    session = OpenWASession("s1", cfg, WebhookReceiver(), None, lambda f: None)  # type: ignore[arg-type]
    session.hooks = {k: f"http://127.0.0.1:9/hook/S/{k}" for k in ("ev", "ready", "wh")}
    flags = [t for t in session.argv()[2:] if t.startswith("-") and not t[1:2].isdigit()]
    unknown = [f for f in flags if f not in known]
    assert not unknown, f"flags OpenWA {openwa.OPENWA_VERSION} does not know: {unknown}"
    # the secret-bearing settings are config keys OpenWA reads from the file
    camel = {re.sub(r"-([a-z])", lambda m: m.group(1).upper(), n) for n in names}
    assert {"key", "ev", "webhook", "readyWebhook", "licenseKey"} <= camel


def test_startup_strings(pkg: Path) -> None:
    browser = src(pkg, "dist/controllers/browser.js")
    assert "spinner.info(`Session integrity check failed, trying again... ${wapiAttempts}`)" in (
        browser.replace("spinner === null || spinner === void 0 ? void 0 : ", "")
    )
    assert "spinner.fail('Error launching browser')" in browser.replace(
        "spinner === null || spinner === void 0 ? void 0 : ", ""
    )
    assert "Page loaded in ${WEB_END_TS - WEB_START_TS}ms: ${webRes.status()}" in browser
    init = src(pkg, "dist/controllers/initializer.js")
    assert "spinner.emit('qrTimeout');" in init
    assert "QR scan took too long" in init
    assert 'value === "TEMP_BAN"' in browser
    launcher = (
        pkg.parents[1]
        / "puppeteer-core"
        / "lib"
        / "cjs"
        / "puppeteer"
        / "node"
        / "BrowserLauncher.js"
    )
    text = launcher.read_text()
    assert "Browser was not found at the configured executablePath" in text
    browsers = pkg.parents[1] / "@puppeteer" / "browsers" / "lib" / "cjs" / "launch.js"
    assert "Failed to launch the browser process" in browsers.read_text()
    # 4.76.0 has no word for the reachout timelock: the agent's markers are its own
    assert not re.search(
        r"timelock|reachout", src(pkg, "dist/api/Client.js") + src(pkg, "dist/lib/wapi.js"), re.I
    )


@pytest.mark.parametrize(
    ("recording", "reason"),
    [
        ("ev-startup-whatsapp-unreachable.jsonl", StartFailReason.whatsapp_unreachable),
        ("ev-startup-browser-missing.jsonl", StartFailReason.browser_missing),
    ],
)
def test_startup_reason_from_recorded_events(recording: str, reason: StartFailReason) -> None:
    path = SHARED / recording
    if not path.is_file():
        path = Path(__file__).with_name(recording)
    events = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    texts = [
        e["data"] for e in events if e["namespace"] == "STARTUP" and isinstance(e["data"], str)
    ]
    got, detail = openwa.classify_startup(texts, [])
    assert got == reason
    assert len(detail) <= 500
    if reason == StartFailReason.whatsapp_unreachable:
        assert detail.startswith("This machine cannot reach WhatsApp Web (network/DNS)")
        assert "ERR_NAME_NOT_RESOLVED" in detail


@pytest.mark.parametrize(
    ("lines", "reason"),
    [
        (
            [
                "Error: Failed to launch the browser process!",
                "[1:1:ERROR] The profile appears to be in use by another Chromium process",
            ],
            StartFailReason.profile_locked,
        ),
        (
            ["Error: Failed to launch the browser process!", "Missing X server"],
            StartFailReason.browser_failed,
        ),
        (["Injection error: wapi.js", "TypeError"], StartFailReason.whatsapp_web_changed),
        (["QR scan took too long. Session Timed Out."], StartFailReason.qr_timeout),
        (
            ["Navigating to WA", "Session integrity check failed, trying again... 2"],
            StartFailReason.whatsapp_unreachable,
        ),
        (
            ["Page loaded in 812ms: 200", "Session integrity check failed, trying again... 2"],
            StartFailReason.whatsapp_web_changed,
        ),
        (["Invariant Violation Avoidance: 12ms", "the last words"], StartFailReason.start_failed),
    ],
)
def test_startup_reason_from_log(lines: list[str], reason: StartFailReason) -> None:
    got, detail = openwa.classify_startup([], lines)
    assert got == reason
    if reason == StartFailReason.start_failed:
        assert detail.endswith("the last words")


def test_default_command_is_the_pinned_package(pkg: Path, tmp_path: Path) -> None:
    from agent.config import NPX_OPENWA_COMMAND, load_config

    base = {
        "WACAST_SERVER_URL": "ws://127.0.0.1:1/ws",
        "WACAST_AGENT_TOKEN": "t",
        "WACAST_AGENT_DATA_DIR": str(tmp_path),
    }
    cfg = load_config(base)
    assert cfg.openwa_command == ["node", str(pkg / "bin" / "server.js")]
    # elsewhere (no install in the cache) it is npx of the same pinned version
    cfg = load_config(base | {"WACAST_OPENWA_DIR": str(tmp_path / "none")})
    assert cfg.openwa_command == NPX_OPENWA_COMMAND.split()
    assert cfg.openwa_command[-1] == f"@open-wa/wa-automate@{openwa.OPENWA_VERSION}"


def test_simulate_typing_and_media_message_shapes(pkg: Path) -> None:
    """The typing indicator and the media fields of onMessage the driver reads (issue 16)."""
    client = src(pkg, "dist/api/Client.js")
    body = method_body(client, "simulateTyping(to, on) {")
    assert "WAPI.simulateTyping(to, on), { to, on }" in body
    wapi = src(pkg, "dist/lib/wapi.js")
    typing = wapi[wapi.index("window.WAPI.simulateTyping = async function (chatId, on) {") :]
    typing = typing[: typing.index("\n};")]
    assert "if (on) Store.ChatStates.sendChatStateComposing(chatId)" in typing
    assert "else Store.ChatStates.sendChatStatePaused(chatId)" in typing
    assert typing.rstrip().endswith("return true")

    model = src(pkg, "dist/api/model/message.d.ts")
    # a media message's body is its thumbnail; its text is the caption, a location's `loc`
    assert "then this body will be the thumbnail of the media" in model
    assert "    caption: string;" in model and "    loc?: string;" in model
    kinds = re.search(r"export declare enum MessageTypes \{(.*?)\}", model, re.S)
    assert kinds is not None
    types = dict(re.findall(r'(\w+) = "(\w+)"', kinds.group(1)))
    assert types["TEXT"] == "chat"
    assert {types[k] for k in ("IMAGE", "VIDEO", "VOICE", "AUDIO", "DOCUMENT", "STICKER")} == {
        "image",
        "video",
        "ptt",
        "audio",
        "document",
        "sticker",
    }
    assert (types["LOCATION"], types["CONTACT_CARD"]) == ("location", "vcard")


def test_simulator_types_and_shapes_media_like_openwa(tmp_path: Path) -> None:
    """The simulator's answers for the same: simulateTyping answers true, a media message
    carries the thumbnail in body and the text in caption."""
    seen: list[Any] = []

    class Sink:
        def ev(self, namespace: str, data: Any) -> None: ...
        def ready(self, payload: dict[str, Any]) -> None: ...
        def webhook(self, event: str, data: Any) -> None:
            seen.append((event, data))

        def exit(self, code: int, abrupt: bool) -> None: ...

    sim = sim_core.SimSession(sim_core.SimConfig(session_id="s1", data_path=tmp_path), Sink())
    sim.state, sim.host_phone = "CONNECTED", "+447700900001"
    assert sim.call("simulateTyping", {"to": "447700900002@c.us", "on": True}) is True
    sim.inbound("+447700900002", "Look", kind="image")
    event, message = seen[-1]
    assert event == "onMessage" and message["type"] == "image"
    assert message["caption"] == "Look" and message["body"].startswith("/9j/")
    sim.close()
