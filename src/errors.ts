/**
 * Domain errors. Each carries a stable `code` that clients can rely on and a `kind`
 * that says what went wrong in domain terms; only the HTTP edge (src/http/problem.ts)
 * turns a kind into a status code.
 */
export type ErrorKind =
  | 'invalid'
  | 'unauthenticated'
  | 'forbidden'
  | 'not-found'
  | 'conflict'
  | 'too-large'
  | 'unsupported-media-type'
  | 'unavailable';

export interface AppErrorOptions {
  cause?: unknown;
  /** Extra machine-readable facts for the client (never secrets). */
  details?: Record<string, unknown>;
}

export abstract class AppError extends Error {
  abstract readonly kind: ErrorKind;
  readonly details?: Record<string, unknown>;

  constructor(
    readonly code: string,
    message: string,
    options: AppErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.details = options.details;
  }
}

export class InvalidInputError extends AppError {
  readonly kind = 'invalid';
}

export class AuthenticationError extends AppError {
  readonly kind = 'unauthenticated';
}

export class PermissionDeniedError extends AppError {
  readonly kind = 'forbidden';
}

export class NotFoundError extends AppError {
  readonly kind = 'not-found';
}

export class ConflictError extends AppError {
  readonly kind = 'conflict';
}

export class PayloadTooLargeError extends AppError {
  readonly kind = 'too-large';
}

export class UnsupportedMediaTypeError extends AppError {
  readonly kind = 'unsupported-media-type';
}

export class UnavailableError extends AppError {
  readonly kind = 'unavailable';
}
