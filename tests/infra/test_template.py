"""The synthesised CloudFormation holds what the code uses, derived from the code's
own lists (TABLE_MODELS, QUEUES, GATEWAY_RESPONSES, the app's SQS handlers)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from chalicelib.config import resource_name
from chalicelib.gateway_responses import GATEWAY_RESPONSES
from chalicelib.models import TABLE_MODELS
from chalicelib.queues import QUEUES
from infra.aws.schema import table_properties

pytestmark = pytest.mark.synth

# cfn-lint has no __main__; run its console entry point with this interpreter.
CFN_LINT = "import sys; from cfnlint.runner import main; sys.exit(main())"

Template = dict[str, Any]


@pytest.fixture(scope="module")
def dev_path(synthesised: Callable[[str], Path]) -> Path:
    return synthesised("dev")


@pytest.fixture(scope="module")
def dev(dev_path: Path) -> Template:
    return json.loads(dev_path.read_text())


@pytest.fixture(scope="module")
def prod(synthesised: Callable[[str], Path]) -> Template:
    return json.loads(synthesised("prod").read_text())


def resources(template: Template, kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def stage_name(name: str, stage: str) -> str:
    """A physical name computed under the tests' stage, moved to ``stage``."""
    return f"wacast-{stage}-" + name.removeprefix(resource_name(""))


def tables_by_name(template: Template) -> dict[str, dict[str, Any]]:
    return {
        t["Properties"]["TableName"]: t["Properties"]
        for t in resources(template, "AWS::DynamoDB::Table").values()
    }


def queues_by_name(template: Template) -> dict[str, tuple[str, dict[str, Any]]]:
    return {
        q["Properties"]["QueueName"]: (logical, q["Properties"])
        for logical, q in resources(template, "AWS::SQS::Queue").items()
    }


def allow_statements(template: Template) -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    for logical, resource in template["Resources"].items():
        props = resource.get("Properties", {})
        documents = []
        if resource["Type"] == "AWS::IAM::Role":
            documents = [p["PolicyDocument"] for p in props.get("Policies", [])]
        elif resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            documents = [props["PolicyDocument"]]
        for document in documents:
            for statement in document["Statement"]:
                if statement["Effect"] == "Allow":
                    found.append((logical, statement))
    return found


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# --- tables ---------------------------------------------------------------------------


@pytest.mark.parametrize("model", TABLE_MODELS, ids=lambda m: m.__name__)
def test_every_table_matches_its_model(dev: Template, model: Any) -> None:
    expected = table_properties(model)
    name = stage_name(expected.pop("TableName"), "dev")
    table = tables_by_name(dev).get(name)
    assert table is not None, f"{name} missing from the template"
    for key, value in expected.items():  # keys, attribute types, indexes, TTL
        assert table[key] == value, key
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    for attr in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes", "TimeToLiveSpecification"):
        assert (attr in table) == (attr in expected), attr


def test_no_table_the_code_does_not_use(dev: Template) -> None:
    expected = {stage_name(m.Meta.table_name, "dev") for m in TABLE_MODELS}
    assert set(tables_by_name(dev)) == expected


def test_prod_tables_have_point_in_time_recovery_and_are_retained(
    dev: Template, prod: Template
) -> None:
    for logical, table in resources(prod, "AWS::DynamoDB::Table").items():
        spec = table["Properties"]["PointInTimeRecoverySpecification"]
        assert spec["PointInTimeRecoveryEnabled"] is True, logical
        assert table["DeletionPolicy"] == "Retain", logical
    for table in resources(dev, "AWS::DynamoDB::Table").values():
        assert table["Properties"]["PointInTimeRecoverySpecification"] == {
            "PointInTimeRecoveryEnabled": False
        }


# --- queues ---------------------------------------------------------------------------


@pytest.mark.parametrize("spec", QUEUES, ids=lambda s: s.key)
def test_every_queue_has_its_dead_letter_queue(dev: Template, spec: Any) -> None:
    queues = queues_by_name(dev)
    name, dlq_name = f"wacast-dev-{spec.key}", f"wacast-dev-{spec.key}-dlq"
    assert name in queues and dlq_name in queues
    _, props = queues[name]
    dlq_logical, _ = queues[dlq_name]
    assert props["VisibilityTimeout"] == spec.visibility_timeout
    redrive = props["RedrivePolicy"]
    assert redrive["maxReceiveCount"] == spec.max_receive_count
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": [dlq_logical, "Arn"]}


def test_every_sqs_handler_reports_batch_item_failures(dev: Template) -> None:
    from chalice.app import SQSEventConfig

    import app as chalice_app

    handlers = {
        s.queue.removeprefix(resource_name("")): s
        for s in chalice_app.app.event_sources
        if isinstance(s, SQSEventConfig)
    }
    queues = {logical: props["QueueName"] for name, (logical, props) in queues_by_name(dev).items()}
    seen: dict[str, dict[str, Any]] = {}
    for function in resources(dev, "AWS::Serverless::Function").values():
        for event in (function["Properties"].get("Events") or {}).values():
            if event["Type"] != "SQS":
                continue
            props = event["Properties"]
            assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
            # The event source points at our queue resource, not a name-built ARN.
            logical = props["Queue"]["Fn::GetAtt"][0]
            seen[queues[logical].removeprefix("wacast-dev-")] = props
    assert set(seen) == set(handlers), "every on_sqs_message handler has an event source"
    for key, handler in handlers.items():
        assert seen[key]["BatchSize"] == handler.batch_size


def test_queue_visibility_covers_the_consumer_timeout(dev: Template) -> None:
    queues = {logical: props for _, (logical, props) in queues_by_name(dev).items()}
    for function in resources(dev, "AWS::Serverless::Function").values():
        for event in (function["Properties"].get("Events") or {}).values():
            if event["Type"] == "SQS":
                queue = queues[event["Properties"]["Queue"]["Fn::GetAtt"][0]]
                assert queue["VisibilityTimeout"] >= function["Properties"]["Timeout"]


# --- IAM ------------------------------------------------------------------------------


def test_no_wildcard_actions_or_resources_are_allowed(dev: Template, prod: Template) -> None:
    for template in (dev, prod):
        statements = allow_statements(template)
        assert statements
        for logical, statement in statements:
            for action in as_list(statement["Action"]):
                assert "*" not in action, f"{logical}: {action}"
            for resource in as_list(statement["Resource"]):
                assert resource != "*", f"{logical}: {statement}"


def test_every_function_role_has_the_supplied_policy(dev: Template) -> None:
    roles = resources(dev, "AWS::IAM::Role")
    for logical, function in resources(dev, "AWS::Serverless::Function").items():
        role = roles[function["Properties"]["Role"]["Fn::GetAtt"][0]]
        (policy,) = role["Properties"]["Policies"]
        sids = {s.get("Sid") for s in policy["PolicyDocument"]["Statement"]}
        if logical in ("TokenAuthorizer", "WebsocketConnect", "EmailWorker"):
            continue  # narrower still: see the security tests below
        assert {"Logs", "Tables", "QueueSend"} <= sids, logical
        assert "ManagedPolicyArns" not in role["Properties"], logical
        consumes = any(
            e["Type"] == "SQS" for e in (function["Properties"].get("Events") or {}).values()
        )
        assert ("QueueConsume" in sids) == consumes, logical


# --- API Gateway, functions, buckets, SPA ---------------------------------------------


def test_gateway_responses_speak_our_error_shape(dev: Template) -> None:
    body = dev["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    responses = body["x-amazon-apigateway-gateway-responses"]
    assert set(responses) == {r.response_type for r in GATEWAY_RESPONSES}
    for r in GATEWAY_RESPONSES:
        got = responses[r.response_type]
        assert got["statusCode"] == r.status
        template = got["responseTemplates"]["application/json"]
        assert json.loads(template) == {
            "error": {"code": r.code, "message": r.message, "details": None}
        }


def test_every_function_gets_the_stage_environment(dev: Template) -> None:
    needed = {
        "WACAST_STAGE",
        "WACAST_WS_DOMAIN",
        "WACAST_WS_STAGE",
        "WACAST_UPLOADS_BUCKET",
        "WACAST_MEDIA_BUCKET",
        "WACAST_APP_URL",
        "WACAST_MAIL_FROM",
    }
    ws_stage = dev["Resources"]["WebsocketAPIStage"]["Properties"]["StageName"]
    for logical, function in resources(dev, "AWS::Serverless::Function").items():
        variables = function["Properties"]["Environment"]["Variables"]
        assert needed <= set(variables), logical
        assert variables["WACAST_STAGE"] == "dev"
        assert variables["WACAST_WS_STAGE"] == ws_stage == "dev"


def test_websocket_api_routes_the_agent_handlers(dev: Template) -> None:
    found = resources(dev, "AWS::ApiGatewayV2::Route").values()
    routes = {r["Properties"]["RouteKey"] for r in found}
    assert routes == {"$connect", "$default", "$disconnect"}


def test_buckets_are_private_and_encrypted_and_uploads_expire(dev: Template) -> None:
    buckets = resources(dev, "AWS::S3::Bucket")
    assert len(buckets) == 3  # uploads, media, site
    for logical, bucket in buckets.items():
        props = bucket["Properties"]
        assert all(props["PublicAccessBlockConfiguration"].values()), logical
        assert props["BucketEncryption"], logical
    (uploads,) = [b for k, b in buckets.items() if k.startswith("UploadsBucket")]
    rules = uploads["Properties"]["LifecycleConfiguration"]["Rules"]
    assert any(r.get("ExpirationInDays") == 7 for r in rules)
    # No known SPA URL in dev: no CORS rule at all (never a *.cloudfront.net wildcard).
    assert "CorsConfiguration" not in uploads["Properties"]


def test_cloudfront_routes_api_to_the_rest_stage(dev: Template) -> None:
    (distribution,) = resources(dev, "AWS::CloudFront::Distribution").values()
    config = distribution["Properties"]["DistributionConfig"]
    (api,) = [b for b in config["CacheBehaviors"] if b["PathPattern"] == "/api/*"]
    origin = next(o for o in config["Origins"] if o["Id"] == api["TargetOriginId"])
    assert origin["OriginPath"] == "/api"  # stage "api" + routes that start with /api/
    assert set(api["AllowedMethods"]) >= {"POST", "PATCH", "DELETE"}


def test_alarms_watch_every_dead_letter_queue_and_function(dev: Template) -> None:
    alarms = [a["Properties"] for a in resources(dev, "AWS::CloudWatch::Alarm").values()]
    functions = resources(dev, "AWS::Serverless::Function")
    errors = [a for a in alarms if a["MetricName"] == "Errors"]
    depth = [a for a in alarms if a["MetricName"] == "ApproximateNumberOfMessagesVisible"]
    assert len(errors) == len(functions)
    assert len(depth) == len(QUEUES)
    assert all(a["AlarmActions"] for a in alarms)


def test_cfn_lint_finds_no_errors(dev_path: Path, synthesised: Callable[[str], Path]) -> None:
    for path in (dev_path, synthesised("prod")):
        done = subprocess.run(
            [sys.executable, "-c", CFN_LINT, "--format", "parseable", str(path)],
            capture_output=True,
            text=True,
        )
        # cfn-lint's exit code is a bit set: 2 errors, 4 warnings, 8 informational.
        assert done.returncode in (0, 4, 8, 12), f"{done.stdout}\n{done.stderr}"


def test_lambda_bundle_leaves_the_aws_sdk_to_the_runtime(dev_path: Path, dev: Template) -> None:
    import zipfile

    keys = {
        f["Properties"]["CodeUri"]["Key"]
        for f in resources(dev, "AWS::Serverless::Function").values()
    }
    assert len(keys) == 1  # one bundle for every function
    bundle = dev_path.parent / f"asset.{keys.pop()}"
    with zipfile.ZipFile(bundle) as z:
        names = z.namelist()
        unzipped = sum(i.file_size for i in z.infolist())
    tops = {n.split("/", 1)[0] for n in names}
    assert not tops & {"boto3", "botocore", "s3transfer"}
    assert {"app.py", "chalicelib", "wacast_protocol", "pynamodb", "pydantic"} <= tops
    # The frames shared with the agent reach the bundle through vendor/wacast_protocol.
    assert "wacast_protocol/__init__.py" in names
    assert unzipped < 80 * 1024 * 1024


def test_every_function_runs_python_3_12_with_wheels_built_for_it(
    dev_path: Path, dev: Template
) -> None:
    import zipfile

    from infra.aws.stack import LAMBDA_RUNTIME

    functions = resources(dev, "AWS::Serverless::Function").values()
    assert LAMBDA_RUNTIME == "python3.12"
    assert functions and {f["Properties"]["Runtime"] for f in functions} == {"python3.12"}
    # chalice picks binary wheels by the runtime, not by the Python that ran the synth.
    (key,) = {f["Properties"]["CodeUri"]["Key"] for f in functions}
    with zipfile.ZipFile(dev_path.parent / f"asset.{key}") as z:
        names = z.namelist()
    extensions = [n for n in names if n.endswith(".so") and "cpython-3" in n]
    assert {"pydantic_core", "PIL"} <= {n.split("/", 1)[0] for n in names}
    assert any(n.startswith("pydantic_core/") and "cpython-312" in n for n in extensions)
    assert not [n for n in extensions if "cpython-312" not in n]


# --- security (issue 12) ----------------------------------------------------------------


def role_statements(template: Template, function_logical: str) -> list[dict[str, Any]]:
    function = template["Resources"][function_logical]
    role = template["Resources"][function["Properties"]["Role"]["Fn::GetAtt"][0]]
    (policy,) = role["Properties"]["Policies"]
    return list(policy["PolicyDocument"]["Statement"])


def table_logical_ids(statement: dict[str, Any]) -> set[str]:
    found = set()
    for resource in as_list(statement["Resource"]):
        text = json.dumps(resource)
        found |= {part.split('"')[0] for part in text.split('"Fn::GetAtt": ["')[1:] if part}
    return found


def test_the_authorizer_only_reads_tokens(dev: Template) -> None:
    (authorizer,) = [k for k in resources(dev, "AWS::Serverless::Function") if "Authorizer" in k]
    statements = role_statements(dev, authorizer)
    assert {s["Sid"] for s in statements} == {"Logs", "TablesRead"}
    (tables,) = [s for s in statements if s["Sid"] == "TablesRead"]
    assert all(
        a
        in ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:DescribeTable")
        for a in tables["Action"]
    )
    assert table_logical_ids(tables) == {"TableApiTokens"}


def test_the_websocket_connect_handler_touches_agents_and_connections_only(
    dev: Template,
) -> None:
    statements = role_statements(dev, "WebsocketConnect")
    assert {s["Sid"] for s in statements} == {"Logs", "TablesRead", "Tables", "AgentPush"}
    by_sid = {s["Sid"]: s for s in statements}
    assert table_logical_ids(by_sid["TablesRead"]) == {"TableAgents"}
    assert table_logical_ids(by_sid["Tables"]) == {"TableAgents", "TableConnections"}
    assert set(by_sid["Tables"]["Action"]) == {"dynamodb:PutItem", "dynamodb:UpdateItem"}


def test_the_email_worker_reads_its_queue_and_sends_mail_only(dev: Template) -> None:
    statements = role_statements(dev, "EmailWorker")
    assert {s["Sid"] for s in statements} == {"Logs", "QueueConsume", "SendMail"}
    (consume,) = [s for s in statements if s["Sid"] == "QueueConsume"]
    queues = json.dumps(consume["Resource"])
    assert "email" in queues.lower() and "launch" not in queues.lower()


def test_only_billing_functions_read_stripe_secrets_and_only_email_sends_mail(
    dev: Template,
) -> None:
    for logical in resources(dev, "AWS::Serverless::Function"):
        sids = {s["Sid"] for s in role_statements(dev, logical)}
        assert ("Secrets" in sids) == (logical in ("APIHandler", "BillingDunning")), logical
        assert ("SendMail" in sids) == (logical == "EmailWorker"), logical
        variables = dev["Resources"][logical]["Properties"]["Environment"]["Variables"]
        if logical in ("APIHandler", "BillingDunning"):
            assert variables["WACAST_STRIPE_SECRET_NAME"] == "wacast/dev/stripe"
        assert "STRIPE_SECRET_KEY" not in variables and "STRIPE_WEBHOOK_SECRET" not in variables


def test_api_and_websocket_stages_are_throttled(dev: Template) -> None:
    (setting,) = dev["Resources"]["RestAPI"]["Properties"]["MethodSettings"]
    assert setting["ResourcePath"] == "/*" and setting["HttpMethod"] == "*"
    assert setting["ThrottlingRateLimit"] > 0 and setting["ThrottlingBurstLimit"] > 0
    ws = dev["Resources"]["WebsocketAPIStage"]["Properties"]["DefaultRouteSettings"]
    assert ws["ThrottlingRateLimit"] > 0 and ws["ThrottlingBurstLimit"] > 0


def test_bucket_cors_allows_only_the_app_origin(prod: Template) -> None:
    for logical, bucket in resources(prod, "AWS::S3::Bucket").items():
        rules = bucket["Properties"].get("CorsConfiguration", {}).get("CorsRules", [])
        for rule in rules:
            assert rule["AllowedOrigins"] == ["https://app.example.com"], logical
            assert "POST" in rule["AllowedMethods"] and "PUT" not in rule["AllowedMethods"]
    assert "cloudfront.net" not in json.dumps(
        [
            b["Properties"].get("CorsConfiguration")
            for b in resources(prod, "AWS::S3::Bucket").values()
        ]
    )


def test_cloudfront_sends_security_headers(dev: Template) -> None:
    policies = {
        p["Properties"]["ResponseHeadersPolicyConfig"]["Name"]: p["Properties"][
            "ResponseHeadersPolicyConfig"
        ]["SecurityHeadersConfig"]
        for p in resources(dev, "AWS::CloudFront::ResponseHeadersPolicy").values()
    }
    spa = policies["wacast-dev-spaheaders"]
    csp = json.dumps(spa["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert spa["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31_536_000
    assert spa["ContentTypeOptions"]["Override"] is True
    assert spa["FrameOptions"]["FrameOption"] == "DENY"
    api = policies["wacast-dev-apiheaders"]
    assert api["ContentSecurityPolicy"]["Override"] is False  # the API's own header wins
    (distribution,) = resources(dev, "AWS::CloudFront::Distribution").values()
    config = distribution["Properties"]["DistributionConfig"]
    assert config["DefaultCacheBehavior"]["ResponseHeadersPolicyId"]
    (api_behaviour,) = [b for b in config["CacheBehaviors"] if b["PathPattern"] == "/api/*"]
    assert api_behaviour["ResponseHeadersPolicyId"]


def test_licence_keys_are_sealed_by_a_rotating_kms_key_only_two_functions_use(
    dev: Template,
) -> None:
    (logical, key), *_ = resources(dev, "AWS::KMS::Key").items()
    assert key["Properties"]["EnableKeyRotation"] is True
    for name in resources(dev, "AWS::Serverless::Function"):
        variables = dev["Resources"][name]["Properties"]["Environment"]["Variables"]
        assert variables["WACAST_KMS_KEY_ID"] == {"Fn::GetAtt": [logical, "Arn"]}, name
        by_sid = {s["Sid"]: s for s in role_statements(dev, name)}
        if name in ("APIHandler", "WebsocketMessage"):
            assert set(by_sid["LicenceKeys"]["Action"]) == {"kms:Encrypt", "kms:Decrypt"}
            assert by_sid["LicenceKeys"]["Resource"] == {"Fn::GetAtt": [logical, "Arn"]}
        else:
            assert "LicenceKeys" not in by_sid, name
