import { describe, expect, it } from "vitest";
import { formatDateTime, timeAgo } from "./format";

// Every API time is epoch milliseconds: nothing is guessed to be seconds any more.
describe("API times are epoch ms", () => {
  it("formats a value as milliseconds, even a small one", () => {
    const utc = (ms: number) => formatDateTime(ms, "UTC");
    expect(utc(Date.UTC(2026, 10, 28, 9, 30))).toContain("2026");
    expect(utc(1_700_000_000)).toContain("1970"); // seconds would have read as 2023
    expect(formatDateTime(null)).toBe("—");
  });

  it("says how long ago in ms", () => {
    const now = Date.UTC(2026, 10, 28, 12);
    expect(timeAgo(now - 3 * 3_600_000, now)).toBe("3 h ago");
    expect(timeAgo(now - 90_000, now)).toBe("2 min ago");
    expect(timeAgo(undefined, now)).toBe("never");
  });
});
