/**
 * A server URL as it may be shown in logs, errors, /readyz and command output: any password
 * replaced by `***`. NATS_URL may list several servers, comma-separated; each is redacted.
 */
export function redactUrl(url: string): string {
  return url
    .split(',')
    .map((one) => {
      try {
        const parsed = new URL(one.trim());
        if (parsed.password) parsed.password = '***';
        return parsed.toString().replace(/\/$/, '');
      } catch {
        return '(unparsable URL)';
      }
    })
    .join(',');
}
