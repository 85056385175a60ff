/**
 * The variables a message uses, read the way the server reads them
 * (chalicelib/campaigns/templates.py: `{{name}}` or `{{name|fallback}}`), so the
 * composer can flag an unknown one while the user types.
 */
const VARIABLE = /{{\s*([A-Za-z_][A-Za-z0-9_]{0,39})\s*(?:\|([^{}]{0,200}))?}}/g;
/** Something that looks meant as a variable but is not one ({{first name}}, {{}}). */
const MALFORMED = /{{([^{}|]*)(?:\|[^{}]*)?}}/g;

export const BUILTIN_VARIABLES = ["first_name", "name", "last_name", "phone", "email"];

export interface TemplateVariable {
  name: string;
  /** True when every use has a fallback, so a contact without it still gets a message. */
  hasFallback: boolean;
}

export function templateVariables(template: string): TemplateVariable[] {
  const found = new Map<string, TemplateVariable>();
  for (const match of template.matchAll(VARIABLE)) {
    const name = match[1]!;
    const withFallback = match[2] !== undefined;
    const seen = found.get(name);
    if (seen) seen.hasFallback = seen.hasFallback && withFallback;
    else found.set(name, { name, hasFallback: withFallback });
  }
  return [...found.values()];
}

export interface VariableCheck {
  /** Variables no contact field is known by. */
  unknown: string[];
  /** Variables without a fallback: contacts missing them are blocked or skipped. */
  required: string[];
  /** `{{…}}` that is not a valid variable name, as typed. */
  malformed: string[];
}

export function checkVariables(template: string, known: readonly string[]): VariableCheck {
  const vars = templateVariables(template);
  const knownSet = new Set([...BUILTIN_VARIABLES, ...known]);
  const malformed: string[] = [];
  for (const match of template.matchAll(MALFORMED)) {
    const inner = match[1]!.trim();
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,39}$/.test(inner)) malformed.push(match[0]);
  }
  return {
    unknown: vars.filter((v) => !knownSet.has(v.name)).map((v) => v.name),
    required: vars.filter((v) => !v.hasFallback).map((v) => v.name),
    malformed: [...new Set(malformed)],
  };
}
