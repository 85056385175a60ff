"""Trim the Lambda bundle that ``chalice package`` builds.

requirements.txt leaves boto3/botocore out, but pynamodb depends on botocore, so
pip brings it (~20 MB unzipped) into the bundle anyway. The Lambda Python runtime
ships boto3/botocore (and s3transfer), so they are removed from the zip here.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import zipfile
from pathlib import Path

# Top-level entries the Lambda Python runtime already provides.
RUNTIME_PROVIDED = re.compile(r"^(boto3|botocore|s3transfer)(/|-[^/]*\.dist-info/)")


def strip_runtime_provided(bundle: Path) -> int:
    """Rewrite ``bundle`` without the AWS SDK; returns the unzipped bytes removed."""
    removed = 0
    fd, tmp_name = tempfile.mkstemp(suffix=".zip", dir=bundle.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with (
            zipfile.ZipFile(bundle) as src,
            zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as dst,
        ):
            for info in src.infolist():
                if RUNTIME_PROVIDED.match(info.filename):
                    removed += info.file_size
                    continue
                dst.writestr(info, src.read(info), compress_type=zipfile.ZIP_DEFLATED)
        shutil.move(tmp, bundle)
    finally:
        tmp.unlink(missing_ok=True)
    return removed
