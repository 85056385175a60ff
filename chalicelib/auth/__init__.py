"""Accounts: registration, login, bearer tokens, password reset."""
