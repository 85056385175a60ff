import { ApiError, messageOf } from "../api/errors";

/** Error codes that belong to one field although the API sends no `details`. */
const CODE_FIELDS: Record<string, string> = {
  email_taken: "email",
};

/**
 * Splits an API error into messages for the form's fields and one message for
 * the form itself (anything that names no field the form shows).
 */
export function formErrors(error: unknown, fields: readonly string[]): { fields: Record<string, string>; form: string | null } {
  if (!error) return { fields: {}, form: null };
  if (!(error instanceof ApiError)) return { fields: {}, form: messageOf(error) };
  const all = error.fieldErrors;
  const byCode = CODE_FIELDS[error.code];
  if (byCode && !all[byCode]) all[byCode] = error.message;
  const mine: Record<string, string> = {};
  for (const name of fields) if (all[name]) mine[name] = all[name];
  const shown = Object.keys(mine).length > 0;
  // A 429 also raises a toast unless the call says it shows one itself (the account
  // forms do: sign-in, register, password reset); say it at the form, where the eyes are.
  return { fields: mine, form: shown ? null : error.message };
}
