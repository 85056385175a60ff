"""Campaign images: uploaded to S3 by the browser, then checked and normalised here."""

from __future__ import annotations

import io
import secrets

from chalicelib import aws
from chalicelib.config import settings
from chalicelib.errors import ValidationFailed

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_SIDE = 1600
# Decompression bombs: a 20 KB PNG can declare 13000 x 13000 pixels (~1.6 GB decoded).
# Dimensions are read from the header and checked before any pixel is decoded.
MAX_PIXELS = 25_000_000
MAX_INPUT_SIDE = 8000
ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP"}
UPLOAD_URL_SECONDS = 600
MEDIA_URL_SECONDS = 3600


def upload_slot(user_id: str, campaign_id: str) -> tuple[str, dict[str, str], str]:
    """A presigned POST for the browser (≤ 5 MB, an image type); returns (url, fields, key)."""
    from chalicelib.uploads import presigned_post

    key = f"users/{user_id}/uploads/media/{campaign_id}/{secrets.token_hex(8)}"
    url, fields = presigned_post(
        settings().uploads_bucket,
        key,
        max_bytes=MAX_UPLOAD_BYTES,
        content_type="image/jpeg",
        type_prefix="image/",
        expires=UPLOAD_URL_SECONDS,
    )
    return url, fields, key


def normalise(raw: bytes) -> bytes:
    """Validate an image and re-encode it as a JPEG ≤ 1600 px with no metadata."""
    from PIL import Image, UnidentifiedImageError

    if len(raw) > MAX_UPLOAD_BYTES:
        raise ValidationFailed("The image is larger than 5 MB.", code="image_too_large")
    # Pillow's own guard (it warns above the limit, refuses above twice it) as a backstop.
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(io.BytesIO(raw)) as probe:  # reads the header only
            kind = probe.format
            width, height = probe.size
            if width * height > MAX_PIXELS or max(width, height) > MAX_INPUT_SIDE:
                raise _too_large(width, height)
            probe.verify()
        image: Image.Image = Image.open(io.BytesIO(raw))
        image.load()
    except Image.DecompressionBombError:
        raise _too_large(0, 0) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
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


def _too_large(width: int, height: int) -> ValidationFailed:
    return ValidationFailed(
        f"The image is too large: at most {MAX_INPUT_SIDE} pixels a side and "
        f"{MAX_PIXELS // 1_000_000} megapixels. Resize it and upload it again.",
        {"width": width, "height": height, "max_side": MAX_INPUT_SIDE, "max_pixels": MAX_PIXELS},
        code="image_too_large",
    )


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
