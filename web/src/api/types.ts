import type { components } from "./schema";

type S = components["schemas"];
export type User = S["User"];
export type Session = S["Session"];
export type StateChange = S["StateChange"];
export type Qr = S["Qr"];
export type Agent = S["Agent"];
export type AgentWithToken = S["AgentWithToken"];
export type Notification = S["Notification"];
export type Token = S["Token"];
export type ProfilePatch = S["ProfilePatch"];
export type Contact = S["Contact"];
export type ContactIn = S["ContactIn"];
export type ContactPatch = S["ContactPatch"];
export type ImportView = S["ImportView"];
export type ImportStart = S["ImportStart"];
export type OptOutReview = S["Review"];
export type WordsOverview = S["WordsOverview"];
export type Campaign = S["Campaign"];
export type CampaignFields = S["CampaignFields"];
export type CampaignPatch = S["CampaignPatch"];
export type PacingIn = S["PacingIn"];
export type AudienceCheck = S["AudienceCheck"];
export type CampaignMessage = S["Message"];
export type BillingState = S["BillingState"];
export type Plan = S["PlanOut"];

/** GET /api/contacts/imports/{id}/preview (the OpenAPI document does not describe its body). */
export interface ImportPreview {
  import_id: string;
  size: number;
  encoding: string;
  delimiter: string;
  has_header: boolean;
  header: string[];
  rows: string[][];
  columns: { index: number; header: string; sample: string[]; suggested: string }[];
  suggested_mapping: Record<string, string>;
  default_region: string | null;
  row_errors: { offset: number; reason: string; value: string }[];
  phones?: PhoneCheck;
}

/** The preview's reading of the phone column with the chosen country. */
export interface PhoneCheck {
  region: string;
  country_name: string;
  checked: number;
  valid: number;
  invalid: number;
  other_country: number;
  other_country_examples: { row: number; value: string; read_as: string; country: string; country_name: string }[];
  suggestion: { region: string; country_name: string; valid: number } | null;
}
