// Pure: the bounded label an attempt is counted under. Never a raw status code or error text, so
// a misbehaving endpoint cannot grow the number of series.

export type StatusClass = '2xx' | '3xx' | '4xx' | '5xx' | 'network' | 'timeout' | 'refused' | 'other';

/** `errorClass` is the attempt log's error_class: 'Timeout', 'AddressNotAllowed', an errno code… */
export function statusClass(attempt: { statusCode?: number; errorClass?: string; refused?: boolean }): StatusClass {
  if (attempt.refused) return 'refused';
  const code = attempt.statusCode;
  if (code !== undefined) {
    if (code >= 200 && code < 300) return '2xx';
    if (code >= 300 && code < 400) return '3xx';
    if (code >= 400 && code < 500) return '4xx';
    if (code >= 500 && code < 600) return '5xx';
    return 'other';
  }
  return attempt.errorClass === 'Timeout' ? 'timeout' : 'network';
}
