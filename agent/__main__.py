"""``python -m agent``: run the edge agent until SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from agent.config import ConfigError, load_config
from agent.logs import setup_logging
from agent.runtime import Agent

log = logging.getLogger("agent")


async def amain() -> int:
    try:
        config = load_config()
    except ConfigError as exc:
        setup_logging()
        log.error("configuration error", extra={"error": str(exc)})
        return 2
    setup_logging(config.log_level.upper())
    agent = Agent(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await agent.start()
    try:
        await stop.wait()
    finally:
        await agent.stop()
    log.info("agent stopped")
    return 0


def main() -> int:
    return asyncio.run(amain())


if __name__ == "__main__":
    sys.exit(main())
