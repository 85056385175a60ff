"""Campaign images: uploaded to S3 by the browser, then checked and normalised here."""

from __future__ import annotations

import io
import secrets

from chalicelib import aws
from chalicelib.config import settings
from chalicelib.errors import ValidationFailed

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_SIDE = 1600
ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP"}
UPLOAD_URL_SECONDS = 600
MEDIA_URL_SECONDS = 3600


def upload_slot(user_id: str, campaign_id: str) -> tuple[str, str]:
    """A presigned PUT for the browser; returns (url, key)."""
    key = f"users/{user_id}/uploads/media/{campaign_id}/{secrets.token_hex(8)}"
    url = aws.client("s3").generate_presigned_url(
        "put_object",
        Params={"Bucket": settings().uploads_bucket, "Key": key},
        ExpiresIn=UPLOAD_URL_SECONDS,
    )
    return str(url), key


def normalise(raw: bytes) -> bytes:
    """Validate an image and re-encode it as a JPEG ≤ 1600 px with no metadata."""
    from PIL import Image, UnidentifiedImageError

    if len(raw) > MAX_UPLOAD_BYTES:
        raise ValidationFailed("The image is larger than 5 MB.", code="image_too_large")
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            kind = probe.format
            probe.verify()
        image: Image.Image = Image.open(io.BytesIO(raw))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationFailed(
            "This file is not an image we can send (JPEG, PNG or WebP).", code="invalid_image"
        ) from None
    if kind not in ALLOWED_FORMATS:
        raise ValidationFailed("Only JPEG, PNG and WebP images can be sent.", code="invalid_image")
    if image.mode in ("RGBA", "LA", "P"):
        background = Image.new("RGB", image.size, (255, 255, 255))
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    else:
        image = image.convert("RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    # A fresh JPEG carries no EXIF (location, camera) unless asked to.
    image.save(out, format="JPEG", quality=85, optimize=True)
    return out.getvalue()


def attach(user_id: str, campaign_id: str, upload_key: str) -> str:
    """Normalise an uploaded image into the media bucket; returns its key."""
    prefix = f"users/{user_id}/uploads/media/{campaign_id}/"
    if not upload_key.startswith(prefix) or ".." in upload_key:
        raise ValidationFailed("That upload does not belong to this campaign.", code="bad_upload")
    s3 = aws.client("s3")
    try:
        head = s3.head_object(Bucket=settings().uploads_bucket, Key=upload_key)
    except s3.exceptions.ClientError:
        raise ValidationFailed("Nothing was uploaded there yet.", code="bad_upload") from None
    if int(head["ContentLength"]) > MAX_UPLOAD_BYTES:
        raise ValidationFailed("The image is larger than 5 MB.", code="image_too_large")
    raw = s3.get_object(Bucket=settings().uploads_bucket, Key=upload_key)["Body"].read()
    jpeg = normalise(raw)
    key = f"users/{user_id}/media/{campaign_id}/{secrets.token_hex(8)}.jpg"
    s3.put_object(Bucket=settings().media_bucket, Key=key, Body=jpeg, ContentType="image/jpeg")
    return key


def download_url(key: str) -> str:
    return str(
        aws.client("s3").generate_presigned_url(
            "get_object",
            Params={"Bucket": settings().media_bucket, "Key": key},
            ExpiresIn=MEDIA_URL_SECONDS,
        )
    )
