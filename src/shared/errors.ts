// NovaError: the one error shape every face (CLI, IPC, WebSocket) shows to users.
export const ERROR_CODES = [
  'NOT_FOUND',
  'INVALID_INPUT',
  'CONFLICT',
  'PERMISSION',
  'HOST_UNSUPPORTED',
  'TIMEOUT',
  'CANCELLED',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface NovaErrorData {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

export class NovaError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'NovaError';
    this.code = code;
    this.details = details;
  }

  toJSON(): NovaErrorData {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }

  static from(data: NovaErrorData): NovaError {
    return new NovaError(data.code, data.message, data.details);
  }
}

export const isNovaError = (e: unknown): e is NovaError => e instanceof NovaError;

/** Any thrown value → NovaError, never leaking stack traces over the wire. */
export function toNovaError(e: unknown): NovaError {
  if (e instanceof NovaError) return e;
  if (e && typeof e === 'object' && 'code' in e && 'message' in e) {
    const c = (e as { code: unknown }).code;
    if (typeof c === 'string' && (ERROR_CODES as readonly string[]).includes(c)) {
      return new NovaError(c as ErrorCode, String((e as { message: unknown }).message), (e as { details?: unknown }).details);
    }
  }
  const message = e instanceof Error ? e.message : String(e);
  return new NovaError('INTERNAL', message);
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: NovaErrorData };
