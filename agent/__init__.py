"""wacast edge agent: drives OpenWA sessions and talks to the cloud over one WebSocket."""

__version__ = "0.1.0"
