import { ERROR_CODES, type ErrorBody, type ErrorCode } from '../protocol/errors.ts';

/** The one error type services throw; the HTTP layer maps its code to a status and the wire shape. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }
  get status(): number {
    return ERROR_CODES[this.code].status;
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

/** The wire shape of an error (also one item's answer in a batch). */
export function errorBody(err: AppError): ErrorBody {
  return { error: { code: err.code, message: err.message, ...(err.details === undefined ? {} : { details: err.details }) } };
}

/** What a request that met a database out of reach (store/db.ts isConnectionError) is answered. */
export function databaseUnavailable(): AppError {
  return new AppError('UNAVAILABLE', 'the database is unreachable; retry shortly');
}
