import type { paths } from "../api/schema";

/** Paths of the API this build was made against (vite.config.ts defines them). */
const available = new Set<string>(typeof __API_PATHS__ === "undefined" ? [] : __API_PATHS__);

/**
 * Whether the backend serves `path`. Sections and pages for areas whose API is
 * not there yet stay hidden or say so plainly, and turn on when a rebuild
 * against the new OpenAPI document brings the path.
 */
export function hasApi(path: keyof paths | string): boolean {
  return available.has(path);
}
