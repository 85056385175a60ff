"""Print the OpenAPI 3.1 document as JSON without starting a server.

The web app's API types are generated from it (``web/src/api/openapi.json``),
so a route or model change that the SPA does not follow breaks its build.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    # Importing the app evaluates table names and settings from the environment;
    # nothing here talks to AWS, but botocore wants a region.
    os.environ.setdefault("AWS_REGION", "us-east-1")
    os.environ.setdefault("AWS_DEFAULT_REGION", os.environ["AWS_REGION"])
    os.environ.setdefault("WACAST_STAGE", "dev")
    sys.path.insert(0, str(ROOT))
    import app  # noqa: F401  (registers the routes)
    from chalicelib.openapi import build_document

    json.dump(build_document(), sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
