"""Contacts, tags, opt-outs and CSV import (issue 4). See docs/contacts.md."""
