"""Synthesise the wacast stack: ``python -m infra.aws -c stage=prod [-c key=value ...] [-o DIR]``.

Needs no AWS credentials and no CDK CLI (jsii runs aws-cdk-lib on the machine's
Node.js). ``chalice package`` runs inside and pip-installs requirements.txt for
Lambda's platform (cached in .chalice/deployments/). Also usable as the CDK CLI's
``--app`` (it honours CDK_CONTEXT_JSON and CDK_OUTDIR that the CLI sets).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

# jsii's banner about the machine's Node.js major version (Debian 12 ships 20) is
# noise in CI logs; the variables list the majors to stay quiet about.
for _flag in ("DEPRECATED_NODE_VERSION", "UNTESTED_NODE_VERSION", "END_OF_LIFE_NODE_VERSION"):
    os.environ.setdefault(f"JSII_SILENCE_WARNING_{_flag}", "18,20,22,24")


def parse_context(pairs: list[str]) -> dict[str, str]:
    context: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"context must be key=value, not {pair!r}")
        context[key] = value
    return context


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.aws", description=__doc__)
    parser.add_argument("-c", "--context", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("-o", "--output", default=os.environ.get("CDK_OUTDIR", "cdk.out"))
    args = parser.parse_args(argv)

    context = json.loads(os.environ.get("CDK_CONTEXT_JSON", "{}"))
    context.update(parse_context(args.context))
    stage = str(context.get("stage") or "dev")
    context["stage"] = stage

    # Table and queue names are read at import time from WACAST_STAGE (chalicelib's
    # models and app.py's SQS decorators), so the stage is set before any import.
    os.environ["WACAST_STAGE"] = stage
    # chalice package builds a boto3 session on the way; a region is all it needs.
    os.environ.setdefault("AWS_DEFAULT_REGION", os.environ.get("AWS_REGION", "us-east-1"))
    project_dir = Path(__file__).resolve().parents[2]
    if str(project_dir) not in sys.path:
        sys.path.insert(0, str(project_dir))

    import aws_cdk as cdk

    from infra.aws.stack import Settings, WacastStack

    out = Path(args.output).resolve()
    work_dir = out / "chalice-work"
    work_dir.mkdir(parents=True, exist_ok=True)
    app = cdk.App(outdir=str(out), context=context)
    settings = Settings.from_context(app)
    WacastStack(app, settings, work_dir)
    assembly = app.synth()
    for stack in assembly.stacks:
        print(f"synthesised {stack.stack_name}: {Path(stack.template_full_path)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
