import type { FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ErrorCodes, PulseError, type ErrorCode } from '../engine/contracts/errors.js';
import { zodDetails } from '../engine/contracts/schemas.js';

/**
 * The one validation of HTTP input: every API route declares `schema: {params, body, querystring}`
 * as zod schemas (fastify-type-provider-zod's validator compiler runs them, in that order, after
 * the route's `preValidation` hooks: authentication first, so 401 and 403 come before 400), and
 * its handler gets the parsed, typed values. A part that fails its schema becomes a PulseError in
 * one place, `validationErrorOf`, worded the way the route declares in `config.invalidInput`.
 */

/** The request parts a route schema checks, as Fastify names them in `validationContext`. */
export type RequestPart = 'params' | 'body' | 'querystring' | 'headers';

/** How a route words a request part that fails its schema. */
export type InvalidInput = (error: z.ZodError, part: RequestPart) => PulseError;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** How this route words input its schema refuses (route-validation.ts); default `firstFieldInvalid`. */
    invalidInput?: InvalidInput;
  }
}

/**
 * `invalid <what>: <field>: <problem>` with `code` and per-field details: the first bad field
 * names the error. Used by route schemas (see `labelled`) and by per-element checks (an item of a
 * batch, an event).
 */
export function invalidAs(code: ErrorCode, what: string, error: z.ZodError): PulseError {
  const details = zodDetails(error);
  const [field, problem] = Object.entries(details)[0] ?? ['(root)', 'invalid'];
  return new PulseError(code, `invalid ${what}: ${field}: ${problem}`, details);
}

/** Wording `invalidAs(code, what)` where `what` names the part (`query`, `item id`, `batch`...). */
export function labelled(code: ErrorCode, what: Partial<Record<RequestPart, string>>): InvalidInput {
  return (error, part) => invalidAs(code, what[part] ?? part, error);
}

/** `invalid <first field>: <problem>`, `invalid_request`, per-field details (the default wording). */
export function firstFieldInvalid(error: z.ZodError): PulseError {
  const issue = error.issues[0];
  const fieldName = typeof issue?.path[0] === 'string' ? issue.path[0] : '(root)';
  return new PulseError(ErrorCodes.invalidRequest, `invalid ${fieldName}: ${issue?.message ?? 'invalid'}`, zodDetails(error));
}

/** A body that is missing or `null` reads as `{}`: a missing field is named, not the body. */
export function orEmpty<T extends z.ZodTypeAny>(schema: T) {
  return z.preprocess((value) => value ?? {}, schema);
}

/**
 * Parses input that does not come through a route schema (a socket payload, a header read only
 * when the body lacks its field); a failure is `firstFieldInvalid`. `undefined`/`null` reads as `{}`.
 */
export function parseBody<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, body: unknown): T {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  throw firstFieldInvalid(parsed.error);
}

/**
 * The error for a request a route schema refused (the error handler's first question), or
 * undefined when `err` is no such failure. Fastify hands a missing body to the validator as
 * `null`; the API has always named a missing body as missing (`Required`), so a refused missing
 * body is read again as `undefined` for the wording.
 */
export function validationErrorOf(err: unknown, request: FastifyRequest): PulseError | undefined {
  if (!hasZodFastifySchemaValidationErrors(err)) return undefined;
  const part: RequestPart = err.validationContext ?? 'body';
  let error = new z.ZodError(err.validation.map((failure) => failure.params.issue));
  const bodySchema: unknown = request.routeOptions.schema?.body;
  if (part === 'body' && request.body === undefined && bodySchema instanceof z.ZodType) {
    const again = bodySchema.safeParse(undefined);
    if (!again.success) error = again.error;
  }
  return (request.routeOptions.config.invalidInput ?? firstFieldInvalid)(error, part);
}
