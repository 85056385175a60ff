import type { components } from "./schema";
import { currentLocale, tr } from "../i18n/current";
import type { MessageKey } from "../i18n/en";

export type ErrorBody = components["schemas"]["Error"];

export interface ValidationDetail {
  loc: (string | number)[];
  msg: string;
  type?: string;
}

/** An API answer other than 2xx, with the server's code and message. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  readonly retryAfter: number | null;

  constructor(status: number, code: string, message: string, details: unknown, retryAfter: number | null = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
    this.retryAfter = retryAfter;
  }

  /** Messages per form field, from a 422's `details` (`{loc, msg, type}` items). */
  get fieldErrors(): Record<string, string> {
    return fieldErrors(this.details);
  }
}

function isDetail(item: unknown): item is ValidationDetail {
  return (
    typeof item === "object" &&
    item !== null &&
    Array.isArray((item as ValidationDetail).loc) &&
    typeof (item as ValidationDetail).msg === "string"
  );
}

/** pydantic prefixes custom validator messages; people need only the sentence. */
function tidy(message: string): string {
  const cleaned = message.replace(/^(Value error|Assertion failed), /, "");
  return cleaned.charAt(0).toUpperCase() + cleaned.slice(1);
}

/** The validators' own sentences that name code, said for people. */
const CUSTOM_WORDS: Record<string, MessageKey> = {
  "not an IANA timezone": "err.timezone",
  "max_gap_s must be at least min_gap_s": "err.gaps",
  "give both quiet_start and quiet_end, or neither": "err.quiet",
  "choose all contacts or at least one tag": "err.audience",
  "in the past": "err.past",
};

const numberIn = (msg: string): string | null => {
  const match = /(-?\d+(?:\.\d+)?)/.exec(msg);
  return match ? new Intl.NumberFormat(currentLocale()).format(Number(match[1])) : null;
};

/**
 * A validation detail as a sentence a shop owner understands: pydantic's
 * "Input should be greater than or equal to 1" becomes "Use a number of at least 1."
 * Unknown kinds keep the server's sentence, tidied.
 */
export function plainMessage(detail: { msg: string; type?: string | undefined }): string {
  const { msg } = detail;
  const bare = msg.replace(/^(Value error|Assertion failed), /, "");
  if (CUSTOM_WORDS[bare]) return tr(CUSTOM_WORDS[bare]);
  const n = numberIn(msg);
  switch (detail.type) {
    case "missing":
      return tr("err.missing");
    case "string_too_short":
      return n === "1" ? tr("err.missing") : tr("err.tooShort", { n: n ?? "" });
    case "string_too_long":
      return tr("err.tooLong", { n: n ?? "" });
    case "too_short":
      return n === "1" ? tr("err.chooseOne") : tr("err.chooseAtLeast", { n: n ?? "" });
    case "too_long":
      return tr("err.chooseAtMost", { n: n ?? "" });
    case "greater_than_equal":
      return tr("err.atLeast", { n: n ?? "" });
    case "greater_than":
      return tr("err.above", { n: n ?? "" });
    case "less_than_equal":
      return tr("err.atMost", { n: n ?? "" });
    case "less_than":
      return tr("err.below", { n: n ?? "" });
    case "int_parsing":
    case "int_type":
    case "int_from_float":
      return tr("err.whole");
    case "float_parsing":
    case "float_type":
    case "finite_number":
      return tr("err.number");
    case "string_pattern_mismatch":
      return tr("err.format");
    case "datetime_parsing":
    case "datetime_from_date_parsing":
    case "datetime_type":
      return tr("err.dateTime");
    case "bool_parsing":
    case "bool_type":
      return tr("err.yesNo");
    case "literal_error":
    case "enum":
      return tr("err.option");
    case "extra_forbidden":
      return tr("err.notHere");
    default:
      return tidy(msg);
  }
}

/**
 * Maps `[{loc: ["label"], msg}]` to `{label: msg}`. A nested location is keyed
 * both by its dotted path and by its first part, so a form can show it at the
 * field that holds it. The first message for a field wins.
 */
export function fieldErrors(details: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(details)) return out;
  for (const item of details) {
    if (!isDetail(item) || item.loc.length === 0) continue;
    const loc = item.loc[0] === "body" || item.loc[0] === "query" ? item.loc.slice(1) : item.loc;
    if (loc.length === 0) continue;
    const message = plainMessage(item);
    const path = loc.join(".");
    out[path] ??= message;
    out[String(loc[0])] ??= message;
  }
  return out;
}

/** Builds an ApiError from a response and its (maybe non-JSON) body. */
export function toApiError(response: Response, body: unknown): ApiError {
  const retry = Number(response.headers.get("Retry-After"));
  const retryAfter = Number.isFinite(retry) && retry > 0 ? retry : null;
  const error = (body as Partial<ErrorBody> | undefined)?.error;
  if (error && typeof error.code === "string") {
    return new ApiError(response.status, error.code, error.message, error.details, retryAfter);
  }
  return new ApiError(
    response.status,
    "http_" + response.status,
    response.status >= 500 ? tr("err.server") : tr("err.request", { status: response.status }),
    null,
    retryAfter,
  );
}

export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof TypeError) return tr("err.offline");
  if (error instanceof Error) return error.message;
  return tr("err.unknown");
}
