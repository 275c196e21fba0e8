/** The error of reading or writing a model artifact (./artifact.ts). */

export type ModelErrorReason =
  | 'missing_manifest'
  | 'bad_manifest'
  | 'unsupported_format'
  | 'size_mismatch'
  | 'checksum_mismatch'
  | 'bad_vector'
  | 'dimension_mismatch'
  | 'already_exists'
  | 'io';

/** A model that cannot be written or loaded; `reason` is stable, the message says what and where. */
export class ModelError extends Error {
  override name = 'ModelError';
  constructor(
    readonly reason: ModelErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
