"""Browser uploads to S3 as presigned POSTs: S3 itself refuses a file that is too
large or of the wrong type (a presigned PUT would take anything, of any size)."""

from __future__ import annotations

from typing import Any

from chalicelib import aws


def presigned_post(
    bucket: str, key: str, *, max_bytes: int, content_type: str, type_prefix: str, expires: int
) -> tuple[str, dict[str, str]]:
    """(url, form fields). The browser POSTs the fields, then the file as ``file``;
    ``Content-Type`` may be changed to anything starting with ``type_prefix``."""
    conditions: list[Any] = [
        ["content-length-range", 1, max_bytes],
        ["starts-with", "$Content-Type", type_prefix],
    ]
    post = aws.client("s3").generate_presigned_post(
        Bucket=bucket,
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=conditions,
        ExpiresIn=expires,
    )
    return str(post["url"]), {str(k): str(v) for k, v in post["fields"].items()}
