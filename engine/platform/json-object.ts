/** The value of `json` when it is a JSON object (or array); undefined when it is not JSON or not one. */
export function parseJsonObject(json: string): object | undefined {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  return typeof value === 'object' && value !== null ? value : undefined;
}
