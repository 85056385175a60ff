"""Operator commands: ``python -m chalicelib.admin create-admin --email … --name …``,
``python -m chalicelib.admin migrate-epoch-ms`` (see chalicelib/migrate_epoch_ms.py).

The password is read from WACAST_ADMIN_PASSWORD or prompted for, never taken on
the command line (it would land in shell history and process lists).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from chalicelib.bootstrap import bootstrap
from chalicelib.errors import DomainError


def create_admin(email: str, name: str, password: str) -> str:
    """Create an admin, or promote the existing user with that email. Returns the user id."""
    from chalicelib.auth import service
    from chalicelib.models.users import UserModel

    existing = service.find_user_by_email(service.normalise_email(email))
    if existing is not None:
        existing.update(actions=[UserModel.role.set("admin")])
        return str(existing.user_id)
    return str(service.register(email, password, name, role="admin").user_id)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.admin")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-admin", help="create an admin or promote a user")
    create.add_argument("--email", required=True)
    create.add_argument("--name", default="Administrator")
    commands.add_parser(
        "migrate-epoch-ms", help="rewrite times stored in seconds as milliseconds (idempotent)"
    )
    args = parser.parse_args(argv)
    bootstrap()  # the same hooks (quota, number limits) as the Lambda functions
    if args.command == "migrate-epoch-ms":
        from chalicelib.migrate_epoch_ms import migrate

        report = migrate()
        for table, scanned in report.scanned.items():
            sys.stdout.write(f"{table}: {scanned} scanned, {report.converted[table]} converted\n")
        return 0
    password = os.environ.get("WACAST_ADMIN_PASSWORD") or getpass.getpass("Password: ")
    try:
        user_id = create_admin(args.email, args.name, password)
    except DomainError as error:
        sys.stderr.write(f"error: {error.message}\n")
        return 1
    sys.stdout.write(f"admin {user_id} ({args.email})\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
