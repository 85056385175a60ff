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
    stopping = asyncio.create_task(stop.wait())
    failed = asyncio.create_task(agent.wait())
    try:
        await asyncio.wait({stopping, failed}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        if not failed.done():
            failed.cancel()
        await agent.stop()
    error = None if failed.cancelled() else failed.exception()
    if error is not None:
        # Up but without its link or flusher the agent would look offline for good:
        # exit non-zero instead, so launchd (KeepAlive) starts a fresh one.
        log.critical(
            "a long-lived task failed; exiting to be restarted",
            exc_info=(type(error), error, error.__traceback__),
        )
        return 1
    log.info("agent stopped")
    return 0


def main() -> int:
    return asyncio.run(amain())


if __name__ == "__main__":
    sys.exit(main())
