"""The local stack's faster moto Query answers exactly what moto (and DynamoDB) would."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra.local.moto_partitions import fast_partition_queries


@pytest.fixture
def table() -> Iterator[Any]:
    fast_partition_queries()
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        ddb.create_table(
            TableName="t",
            KeySchema=[
                {"AttributeName": "user", "KeyType": "HASH"},
                {"AttributeName": "phone", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "user", "AttributeType": "S"},
                {"AttributeName": "phone", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        for user in ("ana", "bob", "cid"):
            for i in range(23):
                ddb.put_item(
                    TableName="t",
                    Item={
                        "user": {"S": user},
                        "phone": {"S": f"+1415555{(i * 7) % 23:04d}"},
                        "n": {"N": str(i)},
                    },
                )
        yield ddb


def walk(
    ddb: Any,
    limit: int,
    condition: str = "#u = :u",
    names: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    **extra: Any,
) -> list[str]:
    phones: list[str] = []
    start: dict[str, Any] | None = None
    while True:
        page = ddb.query(
            TableName="t",
            KeyConditionExpression=condition,
            ExpressionAttributeNames={"#u": "user", **(names or {})},
            ExpressionAttributeValues={":u": {"S": "bob"}, **(values or {})},
            Limit=limit,
            **({"ExclusiveStartKey": start} if start else {}),
            **extra,
        )
        phones += [item["phone"]["S"] for item in page["Items"]]
        start = page.get("LastEvaluatedKey")
        if not start:
            return phones
        assert start["user"] == {"S": "bob"}


def test_a_paged_walk_reads_one_partition_in_order_once(table: Any) -> None:
    expected = [f"+1415555{i:04d}" for i in range(23)]
    for limit in (1, 5, 7, 22, 23, 100):
        assert walk(table, limit) == expected


def test_backwards_key_conditions_and_filters_still_apply(table: Any) -> None:
    everyone = [f"+1415555{i:04d}" for i in range(23)]
    assert walk(table, 4, ScanIndexForward=False) == everyone[::-1]
    assert (
        walk(
            table,
            3,
            condition="#u = :u AND #p > :p",
            names={"#p": "phone"},
            values={":p": {"S": "+14155550010"}},
        )
        == everyone[11:]
    )
    kept = walk(table, 5, FilterExpression="#n < :n", names={"#n": "n"}, values={":n": {"N": "5"}})
    assert sorted(kept) == sorted(f"+1415555{(i * 7) % 23:04d}" for i in range(5))
