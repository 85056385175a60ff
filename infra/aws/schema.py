"""CloudFormation shapes derived from the pynamodb models and the queue list.

Pure functions (no CDK import), so tests can compute the expectations the
synthesised template must meet from the same sources.
"""

from __future__ import annotations

from typing import Any

from pynamodb.models import Model

from chalicelib.models import ttl_attribute


def _hash_first(key_schema: Any) -> list[dict[str, str]]:
    # DynamoDB wants HASH before RANGE; pynamodb lists index keys in attribute order.
    ordered = sorted(key_schema, key=lambda k: 0 if k["KeyType"] == "HASH" else 1)
    return [{"AttributeName": k["AttributeName"], "KeyType": k["KeyType"]} for k in ordered]


def _projection(projection: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"ProjectionType": projection["ProjectionType"]}
    if projection.get("NonKeyAttributes"):
        out["NonKeyAttributes"] = sorted(projection["NonKeyAttributes"])
    return out


def table_properties(model: type[Model]) -> dict[str, Any]:
    """AWS::DynamoDB::Table properties (CloudFormation casing) for one model.

    Billing, PITR and removal policy are the stack's business; this is the shape
    of the data: name, keys, attribute types, indexes with projections, TTL.
    """
    schema = model._get_schema()
    attributes: dict[str, str] = {}
    for definition in schema["attribute_definitions"]:
        attributes[definition["AttributeName"]] = definition["AttributeType"]
    props: dict[str, Any] = {
        "TableName": model.Meta.table_name,
        "KeySchema": _hash_first(schema["key_schema"]),
        "AttributeDefinitions": [
            {"AttributeName": name, "AttributeType": kind}
            for name, kind in sorted(attributes.items())
        ],
    }
    gsis = [
        {
            "IndexName": index["index_name"],
            "KeySchema": _hash_first(index["key_schema"]),
            "Projection": _projection(index["projection"]),
        }
        for index in schema.get("global_secondary_indexes", [])
    ]
    if gsis:
        props["GlobalSecondaryIndexes"] = sorted(gsis, key=lambda g: g["IndexName"])
    lsis = [
        {
            "IndexName": index["index_name"],
            "KeySchema": _hash_first(index["key_schema"]),
            "Projection": _projection(index["projection"]),
        }
        for index in schema.get("local_secondary_indexes", [])
    ]
    if lsis:
        props["LocalSecondaryIndexes"] = sorted(lsis, key=lambda g: g["IndexName"])
    ttl = ttl_attribute(model)
    if ttl:
        props["TimeToLiveSpecification"] = {"AttributeName": ttl, "Enabled": True}
    return props
