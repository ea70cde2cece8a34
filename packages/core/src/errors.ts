/**
 * The closed set of errors Tanba throws. Every error carries a stable `code`;
 * match on the code (or `instanceof`), never on the message.
 */
export type TanbaErrorCode =
  | 'TANBA_UNRECOGNISED_FORMAT'
  | 'TANBA_UNSUPPORTED_FORMAT'
  | 'TANBA_MALFORMED_INPUT'
  | 'TANBA_ENCRYPTED_INPUT'
  | 'TANBA_TOO_LARGE'
  | 'TANBA_INVALID_KEY'
  | 'TANBA_INVALID_LABEL'
  | 'TANBA_INVALID_OPTION'
  | 'TANBA_DEPENDENCY_MISSING'
  | 'TANBA_DEPENDENCY_FAILED'
  | 'TANBA_ABORTED'

export interface TanbaErrorOptions {
  cause?: unknown
  /**
   * Machine-readable context: the offending value, a limit, a carrier name. Never secrets.
   * `option` is the path of the SDK option the message is about or suggests ('c2pa',
   * 'notice.visible', 'adapterOptions.pdf.password'), so a front end can name its own flag.
   */
  details?: Record<string, unknown>
}

export class TanbaError extends Error {
  readonly code: TanbaErrorCode
  readonly details: Record<string, unknown> | undefined

  constructor(code: TanbaErrorCode, message: string, options: TanbaErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'TanbaError'
    this.code = code
    this.details = options.details
  }

  toJSON(): { name: string; code: TanbaErrorCode; message: string; details?: Record<string, unknown> } {
    return { name: this.name, code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) }
  }
}

/** The bytes match no format Tanba knows. */
export class UnrecognisedFormatError extends TanbaError {
  constructor(message: string, options?: TanbaErrorOptions) {
    super('TANBA_UNRECOGNISED_FORMAT', message, options)
    this.name = 'UnrecognisedFormatError'
  }
}

/** The format is known, but Tanba cannot (yet) stamp or verify it. */
export class UnsupportedFormatError extends TanbaError {
  constructor(message: string, options?: TanbaErrorOptions) {
    super('TANBA_UNSUPPORTED_FORMAT', message, options)
    this.name = 'UnsupportedFormatError'
  }
}

/** The bytes claim a format but break its rules (truncated, bad offsets, bad checksums). */
export class MalformedInputError extends TanbaError {
  constructor(message: string, options?: TanbaErrorOptions) {
    super('TANBA_MALFORMED_INPUT', message, options)
    this.name = 'MalformedInputError'
  }
}

/** The input is encrypted and no usable password was supplied. */
export class EncryptedInputError extends TanbaError {
  constructor(message: string, options?: TanbaErrorOptions) {
    super('TANBA_ENCRYPTED_INPUT', message, options)
    this.name = 'EncryptedInputError'
  }
}

/** The input exceeds a configured limit (bytes, pixels, nesting, chunk count). */
export class TooLargeError extends TanbaError {
  constructor(message: string, options?: TanbaErrorOptions) {
    super('TANBA_TOO_LARGE', message, options)
    this.name = 'TooLargeError'
  }
}

/** A key or certificate could not be used: wrong kind, wrong curve, unparsable PEM. */
export class InvalidKeyError extends TanbaError {
  constructor(message: string, options?: TanbaErrorOptions) {
    super('TANBA_INVALID_KEY', message, options)
    this.name = 'InvalidKeyError'
  }
}

/** A label does not follow the label specification (schema, encoding). */
export class InvalidLabelError extends TanbaError {
  constructor(message: string, options?: TanbaErrorOptions) {
    super('TANBA_INVALID_LABEL', message, options)
    this.name = 'InvalidLabelError'
  }
}

/** An option passed by the caller is missing or out of range. */
export class InvalidOptionError extends TanbaError {
  constructor(message: string, options?: TanbaErrorOptions) {
    super('TANBA_INVALID_OPTION', message, options)
    this.name = 'InvalidOptionError'
  }
}

/** An optional dependency is missing, or a native dependency failed or crashed. */
export class DependencyError extends TanbaError {
  constructor(code: 'TANBA_DEPENDENCY_MISSING' | 'TANBA_DEPENDENCY_FAILED', message: string, options?: TanbaErrorOptions) {
    super(code, message, options)
    this.name = 'DependencyError'
  }
}

/** The operation was cancelled through an AbortSignal. */
export class AbortedError extends TanbaError {
  constructor(message = 'The operation was aborted', options?: TanbaErrorOptions) {
    super('TANBA_ABORTED', message, options)
    this.name = 'AbortedError'
  }
}

export function isTanbaError(value: unknown): value is TanbaError {
  return value instanceof TanbaError
}

/** The SDK option an error is about (`details.option`), when it names one. */
export function errorOption(error: unknown): string | undefined {
  const option = isTanbaError(error) ? error.details?.option : undefined
  return typeof option === 'string' ? option : undefined
}

/** Throws AbortedError when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortedError(undefined, { cause: signal.reason })
}
