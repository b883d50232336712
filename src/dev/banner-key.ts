import { parseApiKey } from '../auth/api-keys';

/**
 * The "API key" line of the `npm start` banner. A key hookflow generated for this data directory is
 * shown whole: it exists to be copied, and it is in the data directory anyway. A key the operator
 * gave (HOOKFLOW_API_KEYS) is theirs, maybe a production one, and a banner ends up in scrollback and
 * CI logs: it is named by its first characters and its ID, never printed.
 */
export function bannerKeyLine(entries: string[], generated: boolean): string {
  const first = entries[0];
  if (first === undefined) return 'none';
  if (generated) return first;
  const { key, id } = parseApiKey(first);
  const more = entries.length > 1 ? `, and ${entries.length - 1} more` : '';
  return `${key.slice(0, 4)}… from HOOKFLOW_API_KEYS (${id}${more}; not shown)`;
}
