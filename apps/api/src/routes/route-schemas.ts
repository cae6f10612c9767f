/** JSON-schema pieces every route file uses: problem+json answers and id path parameters. */

/** `response` entries answering problem+json (the shared `Problem` schema) for these statuses. */
export function problemResponses(...statuses: number[]): Record<number, { $ref: 'Problem#' }> {
  return Object.fromEntries(statuses.map((s) => [s, { $ref: 'Problem#' as const }]));
}

/** A path parameter object with one id (1-128 characters). */
export function idParam(name: string): { type: 'object'; required: string[]; properties: Record<string, { type: 'string'; minLength: 1; maxLength: 128 }> } {
  return { type: 'object', required: [name], properties: { [name]: { type: 'string', minLength: 1, maxLength: 128 } } };
}

/** Routes that need an API key say so in the OpenAPI document. */
export const API_KEY_SECURITY = [{ apiKey: [] }];
