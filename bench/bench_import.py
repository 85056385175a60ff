"""Contact import benchmark: prints comparable figures.

1. parse + normalise throughput on one core (no AWS): the worker's CSV reader and
   row conversion over an in-memory file of mixed local phone formats;
2. DynamoDB requests per imported row, counted at pynamodb's API-call boundary;
3. wall time of a whole import (upload → preview → start → SQS chunks → completed)
   through moto in-process, or through the local stack when AWS_ENDPOINT_URL is set.

    python bench/bench_import.py [--rows 100000] [--parse-rows 200000]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FORMS = (
    "(11) 9{a:04d}-{b:04d}",
    "+55 11 9{a:04d} {b:04d}",
    "0055 11 9{a:04d}{b:04d}",
    "11.9{a:04d}.{b:04d}",
    "5511 9{a:04d}-{b:04d}",
    "+55119{a:04d}{b:04d}",
)


def make_csv(rows: int) -> bytes:
    lines = ["Nome,Celular,Email,Cidade,Tags"]
    for i in range(rows):
        a, b = (i // 10000) % 10000, i % 10000
        phone = FORMS[i % len(FORMS)].format(a=a, b=b)
        lines.append(
            f'Pessoa {i} Conceição,"{phone}",p{i}@example.com,São Paulo,cliente;lote{i % 7}'
        )
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def bench_parse(rows: int) -> None:
    from chalicelib.contacts import csvfile, mapping

    data = make_csv(rows)
    header_end = data.index(b"\n") + 1
    compiled = mapping.compile_mapping(
        {"0": "name", "1": "phone", "2": "email", "3": "field:cidade", "4": "tags"}
    )
    started, cpu_started = time.perf_counter(), time.process_time()
    offset, done, valid = header_end, 0, 0
    chunk_bytes = 2 * 1024 * 1024
    while offset < len(data):
        piece = data[offset : offset + chunk_bytes]
        reader = csvfile.RecordReader(piece, "utf-8", ",", offset + len(piece) >= len(data))
        end = 0
        for record in reader:
            end = record.end
            done += 1
            row, _, _ = mapping.convert(record.fields or [], compiled, "BR", {"bench"})
            valid += row is not None
        offset += end
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    # CPU time is the fairer "one core" figure on a shared, oversubscribed machine.
    print(
        f"parse+normalise: {done:,} rows in {elapsed:.2f} s wall = {done / elapsed:,.0f} rows/s; "
        f"{cpu:.2f} s CPU = {done / cpu:,.0f} rows per CPU-second "
        f"(one core; {valid:,} valid; goal ≥ 20,000)"
    )


class CallCounter:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def install(self) -> None:
        from pynamodb.connection.base import Connection

        original = Connection._make_api_call
        counter = self.calls

        def counted(conn: Any, operation_name: str, *args: Any, **kwargs: Any) -> Any:
            counter[operation_name] += 1
            return original(conn, operation_name, *args, **kwargs)

        Connection._make_api_call = counted  # type: ignore[method-assign]


def bench_import(rows: int) -> None:
    import json

    from chalicelib import aws, queues
    from chalicelib.auth import service as auth
    from chalicelib.bootstrap import bootstrap
    from chalicelib.config import settings
    from chalicelib.contacts import imports
    from chalicelib.workers import contacts_batch
    from infra.local.provision import provision_all

    bootstrap()  # an entry point of its own: the same wiring as the Lambda functions
    try:
        provision_all()
    except Exception as error:  # the local stack provisions itself; a re-run may object
        print(f"(provisioning skipped: {type(error).__name__})")
    user = auth.register(f"bench{time.time_ns()}@example.com", "correct horse battery", "Bench")
    auth.update_profile(user.user_id, {"default_region": "BR"})
    data = make_csv(rows)
    counter = CallCounter()
    counter.install()
    started = time.perf_counter()
    item, _ = imports.create_import(user.user_id, "bench.csv", None)
    aws.client("s3").put_object(Bucket=settings().uploads_bucket, Key=item.upload_key, Body=data)
    imports.preview(user.user_id, item.import_id)
    imports.start(user.user_id, item.import_id, None, None, ["bench"], "add")
    sqs = aws.client("sqs")
    url = queues.queue_url(queues.CONTACTS)
    messages_handled = 0
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, WaitTimeSeconds=1)
        messages = got.get("Messages", [])
        if not messages:
            status = imports.get_import(user.user_id, item.import_id).status
            if status in imports.TERMINAL:
                break
            continue
        event = {
            "Records": [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": {},
                }
                for m in messages
            ]
        }
        result = contacts_batch(event)
        assert not result["batchItemFailures"], result
        for m in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        messages_handled += len(messages)
    elapsed = time.perf_counter() - started
    done = imports.get_import(user.user_id, item.import_id)
    writes = sum(
        n
        for op, n in counter.calls.items()
        if op in ("BatchWriteItem", "PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems")
    )
    reads = sum(n for op, n in counter.calls.items() if op in ("BatchGetItem", "GetItem", "Query"))
    imported = int(done.created or 0) + int(done.updated or 0) + int(done.existing or 0)
    print(
        f"import of {rows:,} rows: {elapsed:.1f} s wall ({rows / elapsed:,.0f} rows/s), "
        f"status {done.status}, created {done.created:,}, invalid {done.invalid}, "
        f"{messages_handled} SQS messages"
    )
    print(
        f"DynamoDB write requests: {writes:,} = {writes / max(1, imported):.4f} per imported row "
        f"(goal ≤ 0.05); BatchWriteItem {counter.calls['BatchWriteItem']:,}"
    )
    print(
        f"DynamoDB read requests: {reads:,} = {reads / max(1, imported):.4f} per row; "
        f"all calls: {json.dumps(dict(sorted(counter.calls.items())))}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--parse-rows", type=int, default=200_000)
    args = parser.parse_args()
    os.environ.setdefault("WACAST_STAGE", "bench")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    os.environ.setdefault("AWS_REGION", "us-east-1")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    bench_parse(args.parse_rows)
    if os.environ.get("AWS_ENDPOINT_URL"):
        print(
            f"(import through {os.environ['AWS_ENDPOINT_URL']}; if the stack's SQS pump also "
            "runs chunks, request counts only include this process's calls)"
        )
        bench_import(args.rows)
        return
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        os.environ[name] = "testing"
    from moto import mock_aws

    with mock_aws():
        print("(import through moto in-process)")
        bench_import(args.rows)


if __name__ == "__main__":
    main()
