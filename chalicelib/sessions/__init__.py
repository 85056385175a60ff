"""WhatsApp sessions: placement on agents, the state machine, health."""
