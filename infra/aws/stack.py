"""The wacast stack: the Chalice app (via chalice.cdk) plus everything it talks to.

Resources that the code names (tables, queues) come from the code's own lists;
Chalice's generated functions are then adjusted in place with ``add_override``:
queue ARNs and ReportBatchItemFailures on SQS event sources, environment,
function names, and one least-privilege inline policy per Chalice role.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from chalice.cdk import Chalice
from chalice.config import Config as ChaliceConfig
from constructs import Construct

from chalicelib.config import resource_name
from chalicelib.gateway_responses import GATEWAY_RESPONSES
from chalicelib.models import TABLE_MODELS
from chalicelib.queues import QUEUES, QueueSpec
from infra.aws.bundle import strip_runtime_provided
from infra.aws.schema import table_properties

PROJECT_DIR = Path(__file__).resolve().parents[2]
# Every function's runtime (3.11 is deprecated on Lambda in 2027). Pinned here, not taken
# from whichever Python runs the synth: chalice would package for that one.
LAMBDA_RUNTIME = "python3.12"
TABLE_READ = [
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:DescribeTable",
]
# Functions that call Stripe (checkout, portal, webhooks; dunning re-reads subscriptions).
STRIPE_FUNCTIONS = {"APIHandler", "BillingDunning"}
# They seal a number's licence key (API) or open it for its agent (WebSocket messages).
LICENCE_FUNCTIONS = {"APIHandler", "WebsocketMessage"}
STAGES = ("dev", "prod")

# The SPA's client-side routes have no file extension; everything else is an asset.
SPA_REWRITE = """function handler(event) {
  var request = event.request;
  if (request.uri.indexOf('.') === -1) { request.uri = '/index.html'; }
  return request;
}"""


@dataclass(frozen=True)
class Settings:
    """What a deployment is told through CDK context (``-c key=value``)."""

    stage: str
    domain: str = ""  # the SPA's custom domain, e.g. app.example.com
    certificate_arn: str = ""  # ACM certificate in us-east-1 for ``domain``
    app_url: str = ""  # public URL of the SPA; defaults to https://<domain>
    mail_domain: str = ""  # SES domain identity, e.g. example.com
    mail_from: str = ""  # e.g. "wacast <no-reply@example.com>"
    alarm_email: str = ""  # subscribed to the alarm topic
    log_retention_days: int = 30
    stripe_parameters: bool = False  # Stripe secrets in SSM, not Secrets Manager
    api_rate_limit: int = 100  # REST stage: steady requests a second (all clients)
    api_burst_limit: int = 200
    ws_rate_limit: int = 200  # WebSocket stage: frames a second from all agents
    ws_burst_limit: int = 400

    @property
    def prod(self) -> bool:
        return self.stage == "prod"

    @property
    def url(self) -> str:
        if self.app_url:
            return self.app_url.rstrip("/")
        return f"https://{self.domain}" if self.domain else ""

    @property
    def sender(self) -> str:
        if self.mail_from:
            return self.mail_from
        domain = self.mail_domain or self.domain or "example.com"
        return f"wacast <no-reply@{domain}>"

    @property
    def sender_address(self) -> str:
        from email.utils import parseaddr

        return parseaddr(self.sender)[1]

    @classmethod
    def from_context(cls, scope: Construct) -> Settings:
        def ctx(key: str, default: str = "") -> str:
            value = scope.node.try_get_context(key)
            return str(value) if value not in (None, "") else default

        stage = ctx("stage", "dev")
        if stage not in STAGES:
            raise ValueError(f"stage must be one of {STAGES}, not {stage!r}")
        if ctx("domain") and not ctx("certificate_arn"):
            raise ValueError(
                "context domain needs certificate_arn (an ACM certificate in us-east-1)"
            )
        return cls(
            stage=stage,
            domain=ctx("domain"),
            certificate_arn=ctx("certificate_arn"),
            app_url=ctx("app_url"),
            mail_domain=ctx("mail_domain"),
            mail_from=ctx("mail_from"),
            alarm_email=ctx("alarm_email"),
            log_retention_days=int(ctx("log_retention_days", "30")),
            stripe_parameters=ctx("stripe_secrets", "secretsmanager") == "ssm",
            api_rate_limit=int(ctx("api_rate_limit", "100")),
            api_burst_limit=int(ctx("api_burst_limit", "200")),
            ws_rate_limit=int(ctx("ws_rate_limit", "200")),
            ws_burst_limit=int(ctx("ws_burst_limit", "400")),
        )


def chalice_stage_config(stage: str) -> dict[str, Any]:
    with open(PROJECT_DIR / ".chalice" / "config.json") as f:
        config = json.load(f)
    merged: dict[str, Any] = {**config, **config["stages"][stage]}
    return merged


@contextlib.contextmanager
def lambda_runtime(runtime: str) -> Iterator[None]:
    """Package for ``runtime`` whichever Python runs the synth. chalice (1.34) takes the
    runtime from ``sys.version_info`` (for the template and the wheels' ABI) and asks pip
    for the runtime's manylinux wheels without ``--python-version``, so pip, defaulting
    to its own interpreter, finds none for another minor version and chalice leaves
    pydantic_core and Pillow out of the bundle. Both are set here for the packaging."""
    from chalice.deploy.packager import PipRunner

    version = runtime.removeprefix("python").replace(".", "")  # "312"
    original_version = ChaliceConfig.lambda_python_version
    original_execute = PipRunner._execute

    def execute(self: Any, command: str, args: list[str], *rest: Any, **kw: Any) -> Any:
        if command == "download" and "--platform" in args and "--python-version" not in args:
            args = ["--python-version", version, *args]
        return original_execute(self, command, args, *rest, **kw)

    ChaliceConfig.lambda_python_version = property(lambda _config: runtime)  # type: ignore[assignment,method-assign]
    PipRunner._execute = execute  # type: ignore[method-assign]
    try:
        yield
    finally:
        ChaliceConfig.lambda_python_version = original_version  # type: ignore[method-assign]
        PipRunner._execute = original_execute  # type: ignore[method-assign]


class ChaliceApp(Chalice):
    """chalice.cdk's construct: packaged for LAMBDA_RUNTIME, the bundle trimmed before it
    becomes an asset."""

    def _package_app(self) -> None:
        with lambda_runtime(LAMBDA_RUNTIME):
            super()._package_app()
        strip_runtime_provided(Path(self._sam_package_dir) / "deployment.zip")


class WacastStack(cdk.Stack):
    """One stage of wacast. The stack's construct id must be the Chalice stage name:
    chalice.cdk takes the stage from ``scope.to_string()``."""

    def __init__(self, scope: Construct, settings: Settings, work_dir: Path) -> None:
        super().__init__(
            scope,
            settings.stage,
            stack_name=f"wacast-{settings.stage}",
            description=f"wacast ({settings.stage}): API, agent WebSocket, data, queues, SPA",
        )
        self.settings = settings
        self.removal = cdk.RemovalPolicy.RETAIN if settings.prod else cdk.RemovalPolicy.DESTROY
        self.chalice_config = chalice_stage_config(settings.stage)

        self.tables = self._tables()
        self.queues, self.dlqs = self._queues()
        self.uploads, self.media = self._data_buckets()
        self.identity_arn = self._mail_identity()
        self.alarm_topic = self._alarm_topic()
        self.licence_key = self._licence_key()
        self.chalice: ChaliceApp = self._chalice_app(work_dir)
        self.sam = self._read_sam()
        self._gateway_responses()
        self._websocket_stage()
        self._throttling()
        self.functions = self._wire_functions()
        self.distribution = self._spa()
        self._outputs()

    # --- data -------------------------------------------------------------------

    def _licence_key(self) -> kms.Key:
        """Seals numbers' OpenWA licence keys at rest (chalicelib/sessions/vault.py)."""
        return kms.Key(
            self,
            "LicenceKey",
            description=f"wacast {self.settings.stage}: numbers' OpenWA licence keys",
            enable_key_rotation=True,
            removal_policy=self.removal,
        )

    def _tables(self) -> dict[str, cdk.CfnResource]:
        # A raw CfnResource: the model-derived shape is already in CloudFormation casing.
        tables: dict[str, cdk.CfnResource] = {}
        self.indexed_tables: set[str] = set()
        for model in TABLE_MODELS:
            props = table_properties(model)
            suffix = props["TableName"].removeprefix(resource_name(""))
            logical = "Table" + "".join(p.title() for p in suffix.split("_"))
            table = cdk.CfnResource(
                self,
                logical,
                type="AWS::DynamoDB::Table",
                properties={
                    **props,
                    "BillingMode": "PAY_PER_REQUEST",
                    "PointInTimeRecoverySpecification": {
                        "PointInTimeRecoveryEnabled": self.settings.prod
                    },
                    "SSESpecification": {"SSEEnabled": True},
                    "DeletionProtectionEnabled": self.settings.prod,
                },
            )
            table.apply_removal_policy(self.removal)
            if "GlobalSecondaryIndexes" in props or "LocalSecondaryIndexes" in props:
                self.indexed_tables.add(logical)
            tables[props["TableName"]] = table
        return tables

    def _queues(self) -> tuple[dict[str, sqs.Queue], dict[str, sqs.Queue]]:
        queues: dict[str, sqs.Queue] = {}
        dlqs: dict[str, sqs.Queue] = {}
        for spec in QUEUES:
            key = spec.key.title().replace("_", "").replace("-", "")
            dlq = sqs.Queue(
                self,
                f"Queue{key}Dlq",
                queue_name=spec.dlq_name,
                retention_period=cdk.Duration.days(14),
                encryption=sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True,
            )
            queue = sqs.Queue(
                self,
                f"Queue{key}",
                queue_name=spec.name,
                visibility_timeout=cdk.Duration.seconds(spec.visibility_timeout),
                dead_letter_queue=sqs.DeadLetterQueue(
                    queue=dlq, max_receive_count=spec.max_receive_count
                ),
                encryption=sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True,
            )
            queues[spec.name] = queue
            dlqs[spec.name] = dlq
        return queues, dlqs

    def _data_buckets(self) -> tuple[s3.Bucket, s3.Bucket]:
        # Browsers POST uploads (presigned) from the SPA's own origin only. Without a
        # known URL (context domain or app_url) there is no CORS rule at all: never a
        # wildcard such as https://*.cloudfront.net, which any distribution matches.
        cors = (
            [
                s3.CorsRule(
                    allowed_methods=[s3.HttpMethods.POST, s3.HttpMethods.GET, s3.HttpMethods.HEAD],
                    allowed_origins=[self.settings.url],
                    allowed_headers=["*"],
                    exposed_headers=["ETag"],
                    max_age=3000,
                )
            ]
            if self.settings.url
            else None
        )
        common: dict[str, Any] = {
            "block_public_access": s3.BlockPublicAccess.BLOCK_ALL,
            "encryption": s3.BucketEncryption.S3_MANAGED,
            "enforce_ssl": True,
            "object_ownership": s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            "cors": cors,
            "removal_policy": self.removal,
        }
        uploads = s3.Bucket(
            self,
            "UploadsBucket",
            bucket_name=self._bucket_name("uploads"),
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-uploads",
                    expiration=cdk.Duration.days(7),
                    abort_incomplete_multipart_upload_after=cdk.Duration.days(1),
                )
            ],
            **common,
        )
        media = s3.Bucket(
            self,
            "MediaBucket",
            bucket_name=self._bucket_name("media"),
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="abort-multipart",
                    abort_incomplete_multipart_upload_after=cdk.Duration.days(1),
                )
            ],
            **common,
        )
        return uploads, media

    def _bucket_name(self, name: str) -> str:
        # Bucket names are global: suffix the account and region.
        return cdk.Fn.join("-", [resource_name(name), self.account, self.region])

    def _mail_identity(self) -> str:
        s = self.settings
        if s.mail_domain:
            ses.EmailIdentity(self, "MailIdentity", identity=ses.Identity.domain(s.mail_domain))
            name = s.mail_domain
        else:
            ses.EmailIdentity(self, "MailIdentity", identity=ses.Identity.email(s.sender_address))
            name = s.sender_address
        return self.format_arn(service="ses", resource="identity", resource_name=name)

    def _alarm_topic(self) -> sns.Topic:
        topic = sns.Topic(self, "AlarmTopic", topic_name=resource_name("alarms"))
        if self.settings.alarm_email:
            topic.add_subscription(subscriptions.EmailSubscription(self.settings.alarm_email))
        return topic

    # --- the Chalice app --------------------------------------------------------

    def _chalice_app(self, work_dir: Path) -> ChaliceApp:
        # autogen_policy is off: Chalice gives each function its own role with this
        # placeholder policy, which _wire_functions replaces with the real one.
        placeholder = work_dir / "placeholder-policy.json"
        placeholder.write_text(
            json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Deny", "Action": ["iam:PassRole"], "Resource": "*"}],
                }
            )
        )
        previous = os.getcwd()
        os.chdir(work_dir)  # chalice.cdk writes its chalice.out/ into the cwd
        try:
            return ChaliceApp(
                self,
                "Chalice",
                source_dir=str(PROJECT_DIR),
                stage_config={"autogen_policy": False, "iam_policy_file": str(placeholder)},
            )
        finally:
            os.chdir(previous)

    def _read_sam(self) -> dict[str, Any]:
        # chalice.cdk keeps the packaged SAM template here (pinned chalice 1.34).
        path = Path(self.chalice._sam_package_dir) / "sam.json"
        with open(path) as f:
            sam: dict[str, Any] = json.load(f)
        return sam

    def _resources(self, kind: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.sam["Resources"].items() if v["Type"] == kind}

    def _gateway_responses(self) -> None:
        """Our error shape for what API Gateway answers itself. Set inside the swagger
        body, so a change redeploys the stage (SAM hashes the body)."""
        responses = {
            r.response_type: {
                "statusCode": r.status,
                "responseParameters": {
                    "gatewayresponse.header.Content-Type": "'application/json'",
                },
                "responseTemplates": {"application/json": r.body()},
            }
            for r in GATEWAY_RESPONSES
        }
        self.chalice.get_resource("RestAPI").add_override(
            "Properties.DefinitionBody.x-amazon-apigateway-gateway-responses", responses
        )

    @property
    def ws_stage(self) -> str:
        return str(self.chalice_config.get("websocket_api_stage", self.settings.stage))

    def _throttling(self) -> None:
        """Stage-wide throttles in front of the per-user and per-source limits the code
        keeps: a flood is refused by API Gateway before it costs a Lambda call."""
        s = self.settings
        self.chalice.get_resource("RestAPI").add_override(
            "Properties.MethodSettings",
            [
                {
                    "ResourcePath": "/*",
                    "HttpMethod": "*",
                    "ThrottlingRateLimit": s.api_rate_limit,
                    "ThrottlingBurstLimit": s.api_burst_limit,
                }
            ],
        )
        self.chalice.get_resource("WebsocketAPIStage").add_override(
            "Properties.DefaultRouteSettings",
            {
                "ThrottlingRateLimit": s.ws_rate_limit,
                "ThrottlingBurstLimit": s.ws_burst_limit,
            },
        )

    def _websocket_stage(self) -> None:
        # chalice package names the WebSocket stage after api_gateway_stage; use the
        # configured websocket_api_stage so .chalice/config.json stays the truth.
        self.chalice.get_resource("WebsocketAPIStage").add_override(
            "Properties.StageName", self.ws_stage
        )
        self.chalice.sam_template.get_output("WebsocketConnectEndpointURL").value = cdk.Fn.sub(
            "wss://${WebsocketAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}/" + self.ws_stage,
            {"WebsocketAPI": self.chalice.get_resource("WebsocketAPI").ref},
        )

    def _environment(self) -> dict[str, Any]:
        ws_api = self.chalice.get_resource("WebsocketAPI").ref
        s = self.settings
        return {
            "WACAST_STAGE": s.stage,
            "WACAST_WS_DOMAIN": cdk.Fn.sub(
                "${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}", {"Api": ws_api}
            ),
            "WACAST_WS_STAGE": self.ws_stage,
            "WACAST_UPLOADS_BUCKET": self.uploads.bucket_name,
            "WACAST_MEDIA_BUCKET": self.media.bucket_name,
            "WACAST_APP_URL": s.url,
            "WACAST_MAIL_FROM": s.sender,
            "WACAST_SECRETS_PREFIX": f"wacast/{s.stage}/",
            "WACAST_KMS_KEY_ID": self.licence_key.key_arn,
            "POWERTOOLS_SERVICE_NAME": "wacast",
            "POWERTOOLS_LOG_LEVEL": "INFO",
        }

    def _stripe_source(self) -> dict[str, str]:
        """Where the billing functions read Stripe's secrets (chalicelib/secret_store.py)."""
        stage = self.settings.stage
        if self.settings.stripe_parameters:
            return {"WACAST_STRIPE_PARAMETER_PREFIX": f"/wacast/{stage}/stripe/"}
        return {"WACAST_STRIPE_SECRET_NAME": f"wacast/{stage}/stripe"}

    def _wire_functions(self) -> dict[str, str]:
        """Name, configure and authorise every function Chalice generated.
        Returns logical id -> function name."""
        functions = self._resources("AWS::Serverless::Function")
        environment = self._environment()
        by_name = {spec.name: spec for spec in QUEUES}
        names: dict[str, str] = {}
        for logical, resource in functions.items():
            name = f"wacast-{self.settings.stage}-{logical}"
            names[logical] = name
            fn = self.chalice.get_resource(logical)
            fn.add_override("Properties.FunctionName", name)
            for key, value in environment.items():
                fn.add_override(f"Properties.Environment.Variables.{key}", value)
            if logical in STRIPE_FUNCTIONS:
                for key, value in self._stripe_source().items():
                    fn.add_override(f"Properties.Environment.Variables.{key}", value)
            timeout = int(resource["Properties"].get("Timeout", 3))

            consumed: list[QueueSpec] = []
            for event_name, event in (resource["Properties"].get("Events") or {}).items():
                if event["Type"] != "SQS":
                    continue
                spec = by_name[self._queue_name(event["Properties"]["Queue"])]
                if spec.visibility_timeout < timeout:
                    raise ValueError(
                        f"queue {spec.name}: visibility timeout {spec.visibility_timeout}s is "
                        f"shorter than {logical}'s timeout {timeout}s (Lambda refuses that)"
                    )
                path = f"Properties.Events.{event_name}.Properties"
                fn.add_override(f"{path}.Queue", self.queues[spec.name].queue_arn)
                fn.add_override(f"{path}.FunctionResponseTypes", ["ReportBatchItemFailures"])
                consumed.append(spec)

            log_group = logs.LogGroup(
                self,
                f"{logical}Logs",
                log_group_name=f"/aws/lambda/{name}",
                retention=self._retention(),
                removal_policy=self.removal,
            )
            fn.add_resource_dependency(log_group.node.default_child)

            role_logical = resource["Properties"]["Role"]["Fn::GetAtt"][0]
            self.chalice.get_resource(role_logical).add_override(
                "Properties.Policies",
                [
                    {
                        "PolicyName": f"{logical}Policy",
                        "PolicyDocument": self._policy(logical, log_group, consumed),
                    }
                ],
            )
            self._error_alarm(logical, name)
        for spec in QUEUES:
            self._dlq_alarm(spec)
        return names

    @staticmethod
    def _queue_name(queue: Any) -> str:
        # Chalice writes {"Fn::Sub": "arn:${AWS::Partition}:sqs:...:<queue name>"}.
        text = queue["Fn::Sub"] if isinstance(queue, dict) else str(queue)
        return str(text).rsplit(":", 1)[-1]

    def _retention(self) -> logs.RetentionDays:
        choices = {
            7: logs.RetentionDays.ONE_WEEK,
            14: logs.RetentionDays.TWO_WEEKS,
            30: logs.RetentionDays.ONE_MONTH,
            90: logs.RetentionDays.THREE_MONTHS,
            365: logs.RetentionDays.ONE_YEAR,
        }
        days = self.settings.log_retention_days
        if days not in choices:
            raise ValueError(f"log_retention_days must be one of {sorted(choices)}, not {days}")
        return choices[days]

    def _table_arns(self, names: tuple[str, ...] | None = None) -> list[str]:
        """ARNs (and index ARNs) of the tables called ``names`` (all when None)."""
        arns: list[str] = []
        for full_name, table in self.tables.items():
            if names is not None and full_name.removeprefix(resource_name("")) not in names:
                continue
            arn = table.get_att("Arn").to_string()
            arns.append(arn)
            if table.node.id in self.indexed_tables:
                arns.append(f"{arn}/index/*")
        return arns

    def _agent_push(self) -> iam.PolicyStatement:
        ws_api = self.chalice.get_resource("WebsocketAPI").ref
        return iam.PolicyStatement(
            sid="AgentPush",
            actions=["execute-api:ManageConnections"],
            resources=[
                self.format_arn(
                    service="execute-api",
                    resource=ws_api,
                    resource_name=f"{self.ws_stage}/*/@connections/*",
                )
            ],
        )

    def _narrow_policy(
        self, logical: str, log_group: logs.LogGroup, consumed: list[QueueSpec]
    ) -> iam.PolicyDocument | None:
        """Functions on the unauthenticated edge get only what they touch: the REST
        authorizer reads tokens; the WebSocket $connect handler finds the agent by its
        token and records the connection (and may close the one it replaces). The
        email worker only reads its queue and sends mail: no table, bucket or agent."""
        logs_statement = iam.PolicyStatement(
            sid="Logs",
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[log_group.log_group_arn],
        )
        if logical == "EmailWorker":
            return iam.PolicyDocument(
                statements=[logs_statement, *self._queue_statements(consumed)]
            )
        if "Authorizer" in logical:
            return iam.PolicyDocument(
                statements=[
                    logs_statement,
                    iam.PolicyStatement(
                        sid="TablesRead",
                        actions=TABLE_READ,
                        resources=self._table_arns(("api_tokens",)),
                    ),
                ]
            )
        if logical == "WebsocketConnect":
            return iam.PolicyDocument(
                statements=[
                    logs_statement,
                    iam.PolicyStatement(
                        sid="TablesRead",
                        actions=TABLE_READ,
                        resources=self._table_arns(("agents",)),
                    ),
                    iam.PolicyStatement(
                        sid="Tables",
                        actions=["dynamodb:PutItem", "dynamodb:UpdateItem"],
                        resources=self._table_arns(("agents", "connections")),
                    ),
                    self._agent_push(),
                ]
            )
        return None

    def _policy(
        self, logical: str, log_group: logs.LogGroup, consumed: list[QueueSpec]
    ) -> iam.PolicyDocument:
        """Least privilege: named actions only, on this stage's own resources, and only
        the services each function uses (Stripe's secrets for the API and billing)."""
        narrow = self._narrow_policy(logical, log_group, consumed)
        if narrow is not None:
            return narrow
        statements = [
            iam.PolicyStatement(
                sid="Logs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[log_group.log_group_arn],
            ),
            iam.PolicyStatement(
                sid="Tables",
                actions=[
                    *TABLE_READ,
                    "dynamodb:Scan",
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:DeleteItem",
                    "dynamodb:BatchWriteItem",
                    "dynamodb:ConditionCheckItem",
                ],
                resources=self._table_arns(),
            ),
            iam.PolicyStatement(
                sid="QueueSend",
                actions=["sqs:SendMessage", "sqs:GetQueueUrl", "sqs:GetQueueAttributes"],
                resources=[q.queue_arn for q in self.queues.values()],
            ),
            iam.PolicyStatement(
                sid="Objects",
                actions=["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                resources=[self.uploads.arn_for_objects("*"), self.media.arn_for_objects("*")],
            ),
            iam.PolicyStatement(
                sid="Buckets",
                actions=["s3:ListBucket"],
                resources=[self.uploads.bucket_arn, self.media.bucket_arn],
            ),
            self._agent_push(),
        ]
        if logical in STRIPE_FUNCTIONS:
            statements += self._secret_statements()
        if logical in LICENCE_FUNCTIONS:
            # sets a number's licence (API) or hands it to its agent in start_session/sync
            statements.append(
                iam.PolicyStatement(
                    sid="LicenceKeys",
                    actions=["kms:Encrypt", "kms:Decrypt"],
                    resources=[self.licence_key.key_arn],
                )
            )
        statements += self._queue_statements(consumed)
        return iam.PolicyDocument(statements=statements)

    def _secret_statements(self) -> list[iam.PolicyStatement]:
        return [
            iam.PolicyStatement(
                sid="Secrets",
                actions=["secretsmanager:GetSecretValue"],
                resources=[
                    self.format_arn(
                        service="secretsmanager",
                        resource="secret",
                        resource_name=f"wacast/{self.settings.stage}/*",
                        arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                    ),
                ],
            ),
            iam.PolicyStatement(
                sid="Parameters",
                actions=["ssm:GetParameter", "ssm:GetParameters"],
                resources=[
                    self.format_arn(
                        service="ssm",
                        resource="parameter",
                        resource_name=f"wacast/{self.settings.stage}/*",
                    )
                ],
            ),
        ]

    def _queue_statements(self, consumed: list[QueueSpec]) -> list[iam.PolicyStatement]:
        statements: list[iam.PolicyStatement] = []
        if consumed:
            statements.append(
                iam.PolicyStatement(
                    sid="QueueConsume",
                    actions=[
                        "sqs:ReceiveMessage",
                        "sqs:DeleteMessage",
                        "sqs:ChangeMessageVisibility",
                        "sqs:GetQueueAttributes",
                    ],
                    resources=[self.queues[spec.name].queue_arn for spec in consumed],
                )
            )
        if any(spec.key == "email" for spec in consumed):
            statements.append(
                iam.PolicyStatement(
                    sid="SendMail",
                    actions=["ses:SendEmail", "ses:SendRawEmail"],
                    resources=[self.identity_arn],
                )
            )
        return statements

    # --- alarms -----------------------------------------------------------------

    def _error_alarm(self, logical: str, function_name: str) -> None:
        metric = cloudwatch.Metric(
            namespace="AWS/Lambda",
            metric_name="Errors",
            dimensions_map={"FunctionName": function_name},
            statistic="Sum",
            period=cdk.Duration.minutes(5),
        )
        alarm = metric.create_alarm(
            self,
            f"{logical}Errors",
            alarm_name=f"wacast-{self.settings.stage}-{logical}-errors",
            alarm_description=f"{function_name} raised errors",
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(cw_actions.SnsAction(self.alarm_topic))

    def _dlq_alarm(self, spec: QueueSpec) -> None:
        dlq = self.dlqs[spec.name]
        key = spec.key.title().replace("_", "").replace("-", "")
        alarm = dlq.metric_approximate_number_of_messages_visible(
            period=cdk.Duration.minutes(5), statistic="Maximum"
        ).create_alarm(
            self,
            f"Queue{key}DlqDepth",
            alarm_name=f"wacast-{self.settings.stage}-{spec.key}-dlq-depth",
            alarm_description=f"messages dead-lettered from {spec.name} ({spec.purpose})",
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(cw_actions.SnsAction(self.alarm_topic))

    # --- the SPA ----------------------------------------------------------------

    def _spa(self) -> cloudfront.Distribution:
        s = self.settings
        site = s3.Bucket(
            self,
            "SiteBucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        self.site_bucket = site
        rewrite = cloudfront.Function(
            self,
            "SpaRewrite",
            code=cloudfront.FunctionCode.from_inline(SPA_REWRITE),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
        )
        rest_api = self.chalice.get_resource("RestAPI").ref
        api_stage = str(self.chalice_config.get("api_gateway_stage", "api"))
        # The app's routes already start with /api/ and the REST stage is also
        # "api": /api/x at CloudFront becomes /api (stage) + /api/x (route).
        api_origin = origins.HttpOrigin(
            cdk.Fn.sub("${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}", {"Api": rest_api}),
            origin_path=f"/{api_stage}",
            protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
        )
        certificate = None
        if s.domain and s.certificate_arn:
            from aws_cdk import aws_certificatemanager as acm

            certificate = acm.Certificate.from_certificate_arn(
                self, "SiteCertificate", s.certificate_arn
            )
        spa_headers, api_headers = self._response_headers()
        return cloudfront.Distribution(
            self,
            "Site",
            comment=f"wacast {s.stage}",
            default_root_object="index.html",
            domain_names=[s.domain] if certificate else None,
            certificate=certificate,
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(site),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=spa_headers,
                function_associations=[
                    cloudfront.FunctionAssociation(
                        function=rewrite, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST
                    )
                ],
            ),
            additional_behaviors={
                "/api/*": cloudfront.BehaviorOptions(
                    origin=api_origin,
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                    allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                    # Caching off, so AllViewerExceptHostHeader may forward Authorization.
                    cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                    origin_request_policy=(
                        cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER
                    ),
                    response_headers_policy=api_headers,
                )
            },
        )

    def _response_headers(
        self,
    ) -> tuple[cloudfront.ResponseHeadersPolicy, cloudfront.ResponseHeadersPolicy]:
        """The same security headers as the local front door (chalicelib/security_headers):
        the SPA's strict CSP (its own scripts only; images and uploads also from the
        media and uploads buckets), HSTS, nosniff, no framing, a referrer policy.
        On /api/* the API's own headers win (override off) and fill in for answers
        API Gateway makes itself."""
        from chalicelib import security_headers as sh

        buckets = [
            f"https://{bucket.bucket_regional_domain_name}" for bucket in (self.uploads, self.media)
        ] + [f"https://{bucket.bucket_domain_name}" for bucket in (self.uploads, self.media)]

        def policy(name: str, csp: str, override: bool) -> cloudfront.ResponseHeadersPolicy:
            return cloudfront.ResponseHeadersPolicy(
                self,
                name,
                response_headers_policy_name=f"wacast-{self.settings.stage}-{name.lower()}",
                security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                    content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                        content_security_policy=csp, override=override
                    ),
                    strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                        access_control_max_age=cdk.Duration.days(730),
                        include_subdomains=True,
                        override=True,
                    ),
                    content_type_options=cloudfront.ResponseHeadersContentTypeOptions(
                        override=True
                    ),
                    frame_options=cloudfront.ResponseHeadersFrameOptions(
                        frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                    ),
                    referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                        referrer_policy=cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
                        override=override,
                    ),
                ),
            )

        return (
            policy("SpaHeaders", sh.spa_csp(buckets), True),
            policy("ApiHeaders", sh.API_CSP, False),
        )

    def _outputs(self) -> None:
        cdk.CfnOutput(self, "SiteUrl", value=f"https://{self.distribution.domain_name}")
        cdk.CfnOutput(self, "SiteBucketName", value=self.site_bucket.bucket_name)
        cdk.CfnOutput(self, "SiteDistributionId", value=self.distribution.distribution_id)
        cdk.CfnOutput(self, "UploadsBucketName", value=self.uploads.bucket_name)
        cdk.CfnOutput(self, "MediaBucketName", value=self.media.bucket_name)
        cdk.CfnOutput(self, "AlarmTopicArn", value=self.alarm_topic.topic_arn)
