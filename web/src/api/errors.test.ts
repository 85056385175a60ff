import { describe, expect, it } from "vitest";
import { ApiError, fieldErrors, messageOf, plainMessage, toApiError } from "./errors";

describe("fieldErrors", () => {
  it("maps 422 details to the fields they name", () => {
    expect(
      fieldErrors([
        { loc: ["label"], msg: "String should have at least 1 character", type: "string_too_short" },
        { loc: ["timezone"], msg: "Value error, not an IANA timezone", type: "value_error" },
      ]),
    ).toEqual({ label: "Please fill this in.", timezone: "This is not a time zone we know. Use a name such as Europe/Lisbon or America/Sao_Paulo." });
  });

  it("says what validators mean in plain words, with the limit in the user's format", () => {
    expect(plainMessage({ msg: "Input should be greater than or equal to 1", type: "greater_than_equal" })).toBe("Use a number of at least 1.");
    expect(plainMessage({ msg: "List should have at least 1 item after validation, not 0", type: "too_short" })).toBe("Choose at least one.");
    expect(plainMessage({ msg: "String should have at most 4096 characters", type: "string_too_long" })).toBe(`This is too long: use at most ${(4096).toLocaleString()} characters.`);
    expect(plainMessage({ msg: "Value error, max_gap_s must be at least min_gap_s", type: "value_error" })).toBe("The longest gap must be at least the shortest gap.");
    expect(plainMessage({ msg: "Input should be a valid integer, unable to parse string as an integer", type: "int_parsing" })).toBe("Enter a whole number.");
    expect(plainMessage({ msg: "Field required", type: "missing" })).toBe("Please fill this in.");
    expect(plainMessage({ msg: "Value error, not a valid phone number", type: "value_error" })).toBe("Not a valid phone number");
  });

  it("keys nested locations by path and by their first part, first message wins", () => {
    const errors = fieldErrors([
      { loc: ["body", "fields", 0, "name"], msg: "too long" },
      { loc: ["fields", 1, "name"], msg: "second" },
    ]);
    expect(errors["fields.0.name"]).toBe("Too long");
    expect(errors["fields"]).toBe("Too long");
    expect(errors["fields.1.name"]).toBe("Second");
  });

  it("ignores details that are not a list of {loc, msg}", () => {
    expect(fieldErrors(null)).toEqual({});
    expect(fieldErrors({ online_agents: 0 })).toEqual({});
    expect(fieldErrors([{ msg: "no loc" }, "text"])).toEqual({});
  });
});

describe("toApiError", () => {
  it("reads the error shape and Retry-After", () => {
    const response = new Response(null, { status: 429, headers: { "Retry-After": "7" } });
    const error = toApiError(response, { error: { code: "rate_limited", message: "Slow down.", details: null } });
    expect(error).toBeInstanceOf(ApiError);
    expect(error.code).toBe("rate_limited");
    expect(error.message).toBe("Slow down.");
    expect(error.retryAfter).toBe(7);
  });

  it("says something useful for a body that is not the error shape", () => {
    const error = toApiError(new Response(null, { status: 502 }), "Bad Gateway");
    expect(error.code).toBe("http_502");
    expect(error.message).toMatch(/server had a problem/);
    expect(messageOf(new TypeError("Failed to fetch"))).toMatch(/Cannot reach wacast/);
  });
});

describe("hasApi", () => {
  it("knows the paths of the OpenAPI document the build was made against", async () => {
    const { hasApi } = await import("../lib/features");
    expect(hasApi("/api/sessions")).toBe(true);
    expect(hasApi("/api/no-such-thing")).toBe(false);
  });
});
