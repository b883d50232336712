// HOOKFLOW_PORTAL_FRAME_ANCESTORS goes verbatim into the portal's Content-Security-Policy, so only
// CSP source expressions that make sense for frame-ancestors are accepted: nothing that could end
// the directive (`;`) or add another one.
const SOURCE = /^(?:'self'|https?:|https?:\/\/(?:\*\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*(?::(?:\d{1,5}|\*))?)$/i;

export const DEFAULT_FRAME_ANCESTORS = ["'none'"];

/** Sources separated by spaces or commas; `'none'` (the default) forbids every embedding. */
export function parseFrameAncestors(value: string): { sources: string[]; problems: string[] } {
  const sources = value.split(/[\s,]+/).filter(Boolean);
  if (sources.length === 0) return { sources: DEFAULT_FRAME_ANCESTORS, problems: [] };
  if (sources.includes("'none'")) {
    return { sources, problems: sources.length === 1 ? [] : ["'none' cannot be combined with other sources"] };
  }
  const bad = sources.filter((s) => !SOURCE.test(s));
  return {
    sources,
    problems: bad.map((s) => `${JSON.stringify(s)} is not a frame-ancestors source ('none', 'self', https://host[:port], https://*.host)`),
  };
}

/** Embedded by another site: the session cookie must then be SameSite=None (and so Secure). */
export const allowsOtherSites = (sources: string[]): boolean => sources.some((s) => s !== "'none'" && s !== "'self'");
