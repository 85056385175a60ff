"""The Lambda bundle that `chalice package` builds: unzipped size and what fills it.

Prints total MB (zipped and unzipped), file count and the 10 largest top-level
entries of the bundle as deployed: chalice's zip after infra.aws.bundle removes the
AWS SDK (pynamodb pulls botocore in although requirements.txt leaves it out; the
Lambda runtime provides it). Goal: < 80 MB unzipped, no boto3/botocore. Exits 1 if
a goal is missed.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import zipfile
from collections import Counter
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
LIMIT_MB = 80.0
MB = 1024 * 1024


def build(out_dir: Path, stage: str = "dev") -> Path:
    os.environ["WACAST_STAGE"] = stage  # app.py's SQS decorators name queues at import
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    sys.path.insert(0, str(PROJECT_DIR))
    from chalice.api import package_app

    package_app(project_dir=str(PROJECT_DIR), output_dir=str(out_dir), stage=stage)
    return out_dir / "deployment.zip"


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        bundle = build(Path(tmp) / "package")
        elapsed = time.perf_counter() - started
        as_built = sum(i.file_size for i in zipfile.ZipFile(bundle).infolist())
        from infra.aws.bundle import strip_runtime_provided

        stripped = strip_runtime_provided(bundle)
        with zipfile.ZipFile(bundle) as z:
            infos = [i for i in z.infolist() if not i.is_dir()]
        by_top: Counter[str] = Counter()
        for info in infos:
            by_top[info.filename.split("/", 1)[0]] += info.file_size
        total = sum(by_top.values())
        zipped = bundle.stat().st_size
    print(f"chalice package took {elapsed:.1f} s (wheels cached in .chalice/deployments)")
    print(
        f"as chalice built it: {as_built / MB:.1f} MB unzipped; "
        f"AWS SDK removed: {stripped / MB:.1f} MB"
    )
    print(
        f"deployment.zip: {zipped / MB:.1f} MB zipped, {total / MB:.1f} MB unzipped, "
        f"{len(infos)} files"
    )
    print("largest top-level entries (unzipped):")
    for name, size in by_top.most_common(10):
        print(f"  {size / MB:7.1f} MB  {name}")
    sdk = sorted(n for n in by_top if n in ("boto3", "botocore", "s3transfer"))
    print(f"boto3/botocore inside: {'YES: ' + ', '.join(sdk) if sdk else 'no'}")
    ok = not sdk and total / MB < LIMIT_MB
    print(f"goal < {LIMIT_MB:.0f} MB unzipped without the AWS SDK: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
