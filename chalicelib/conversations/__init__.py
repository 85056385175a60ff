"""The reply inbox (docs/architecture.md, "Conversations")."""
