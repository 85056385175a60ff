"""Shared test setup: fake AWS credentials, moto, and a chalice test client.

The environment is set before anything imports the app, because pynamodb reads
table names and regions at import time.
"""

from __future__ import annotations

import os

os.environ.pop("AWS_ENDPOINT_URL", None)  # a leftover endpoint defeats mock_aws
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "WACAST_STAGE": "test",
        "WACAST_WS_DOMAIN": "ws.test.invalid",
        # Tests make many calls in a row; the rate limits' own tests set small ones.
        "WACAST_RATE_WRITES_PER_MINUTE": "100000",
        "WACAST_RATE_READS_PER_MINUTE": "100000",
        "WACAST_RATE_PUBLIC_PER_MINUTE": "100000",
        "WACAST_REGISTRATIONS_PER_HOUR": "100000",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "WACAST_LOG_LEVEL": "WARNING",
    }
)


from infra.local.moto_atomic import serialise_dynamodb_writes

serialise_dynamodb_writes()
