import { describe, expect, it } from "vitest";
import type { Campaign } from "../../../api/types";
import { bodyOf, changesOf, draftOf } from "./draft";

const base = draftOf(undefined, "UTC");

describe("variants in the draft", () => {
  it("sends the written variants and the rollout, and leaves out a tab not yet written", () => {
    const d = { ...base, template: "A", variants: ["B text", "  "], rollout: true, rolloutSize: "300", rolloutHours: "6" };
    const body = bodyOf(d);
    expect(body.variants).toEqual([{ template: "B text" }]);
    expect(body.rollout).toEqual({ test_size: 300, wait_hours: 6 });
  });

  it("sends no rollout without a variant", () => {
    expect(bodyOf({ ...base, template: "A", rollout: true }).rollout).toBeNull();
  });

  it("reads the variants back from a campaign and patches only what changed", () => {
    const campaign = { variants: [{ variant: "B", template: "Hello B" }], rollout: { test_size: 50, wait_hours: 2, waiting: 0, decision: null } } as unknown as Campaign;
    const d = draftOf(campaign, "UTC");
    expect([d.variants, d.rollout, d.rolloutSize, d.rolloutHours]).toEqual([["Hello B"], true, "50", "2"]);
    expect(changesOf(d, d)).toEqual({});
    expect(changesOf(d, { ...d, rollout: false })).toEqual({ rollout: null });
    expect(changesOf(d, { ...d, variants: ["Hello B", "Hello C"] }).variants).toEqual([{ template: "Hello B" }, { template: "Hello C" }]);
  });
});
