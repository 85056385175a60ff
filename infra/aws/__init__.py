"""AWS deployment: a CDK app around ``chalice.cdk.Chalice``.

Everything it creates is derived from the code's own lists (``TABLE_MODELS``,
``QUEUES``, ``GATEWAY_RESPONSES``), so there is no second list to keep in sync.
Synthesise with ``python -m infra.aws -c stage=dev`` (no AWS credentials, no CDK CLI).
"""
