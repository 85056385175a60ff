"""Make moto's base-table Query read one partition from its start key, as DynamoDB does.

moto (5.2) answers every Query by listing every item of the table, sorting them and
stepping over everything before ExclusiveStartKey: one page of a 100,000-contact walk
cost 7-10 s on the local stack, where DynamoDB reads the partition from the start key
and stops at ``Limit`` (issue 15's bench measures our code, not moto's scan). Here a
base-table Query hands moto only the queried partition's items and, when the reading
order allows, only the ``Limit + 1`` first ones after the start key; moto's own loop
then applies the key condition, limit, 1 MB cap, filter and projection as before, so
the answer is the same, only cheaper. Index queries and scans are unchanged.
"""

from __future__ import annotations

import functools
import heapq
import inspect
import threading
from typing import Any

_partition = threading.local()  # per request thread: the items moto's query should see


def fast_partition_queries() -> None:
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    if getattr(Table.query, "_partitioned", False):
        return
    original_query = Table.query
    original_all_items = Table.all_items
    signature = inspect.signature(original_query)

    def candidates(table: Any, args: dict[str, Any]) -> list[Any] | None:
        hash_key = args.get("hash_key")
        if args.get("index_name") or not table.range_key_attr or hash_key is None:
            return None
        partition = table.items.get(hash_key)
        items = list(partition.values()) if partition else []
        limit = args.get("limit")
        start = args.get("exclusive_start_key")
        plain = (
            not args.get("range_comparison")
            and not args.get("filter_kwargs")
            and args.get("scan_index_forward") is not False
            and all(i.range_key is not None and i.range_key.type in ("S", "N") for i in items)
        )
        if not plain:
            return items  # the partition only: moto still sorts and skips as before
        if start and table.range_key_attr in start:
            after = DynamoType(start[table.range_key_attr]).cast_value
            items = [i for i in items if i.range_key.cast_value > after]
        if limit:
            # One more than asked: moto sets LastEvaluatedKey when it meets it.
            return heapq.nsmallest(int(limit) + 1, items, key=lambda i: i.range_key.cast_value)
        return items

    @functools.wraps(original_query)
    def query(self: Any, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs)
        found = candidates(self, bound.arguments)
        if found is None:
            return original_query(self, *args, **kwargs)
        _partition.items = (self, found)
        try:
            return original_query(self, *args, **kwargs)
        finally:
            _partition.items = None

    @functools.wraps(original_all_items)
    def all_items(self: Any) -> Any:
        hint = getattr(_partition, "items", None)
        if hint is not None and hint[0] is self:
            return list(hint[1])
        return original_all_items(self)

    query._partitioned = True  # type: ignore[attr-defined]
    Table.query = query  # type: ignore[method-assign]
    Table.all_items = all_items  # type: ignore[method-assign]
