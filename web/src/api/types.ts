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
