"""Edge agents: registration, tokens, WebSocket connections."""
