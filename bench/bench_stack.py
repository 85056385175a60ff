"""The local stack: start-up time and request latency over real HTTP.

Prints: seconds from process start to a healthy /api/health, and p50/p99 latency
and throughput of authenticated GET /api/me and of POST /api/auth/login.
"""

from __future__ import annotations

import statistics
import time

from tests.integration.stack import LocalStack


def timed(stack: LocalStack, count: int, call: object) -> list[float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        call()  # type: ignore[operator]
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def describe(name: str, samples: list[float]) -> None:
    ordered = sorted(samples)
    p99 = ordered[max(0, int(len(ordered) * 0.99) - 1)]
    rate = 1000 / statistics.mean(samples)
    print(
        f"{name:<28} p50 {statistics.median(samples):7.1f} ms   p99 {p99:7.1f} ms   "
        f"{rate:6.0f} req/s (one client)"
    )


def main() -> None:
    stack = LocalStack()
    started = time.perf_counter()
    stack.start()
    print(f"{'start-up to healthy':<28} {time.perf_counter() - started:7.2f} s   (goal < 5 s)")
    try:
        token = stack.demo_token()
        describe(
            "GET /api/me", timed(stack, 300, lambda: stack.request("GET", "/api/me", token=token))
        )
        describe("GET /api/health", timed(stack, 300, lambda: stack.request("GET", "/api/health")))
        describe("POST /api/auth/login", timed(stack, 20, lambda: stack.demo_token()))
    finally:
        stopped = time.perf_counter()
        code = stack.stop()
        print(
            f"{'stop (SIGTERM) to exit':<28} {time.perf_counter() - stopped:7.2f} s   "
            f"exit code {code}"
        )


if __name__ == "__main__":
    main()
