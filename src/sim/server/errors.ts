/**
 * OpenAI's error envelope, so the official SDK maps each failure to its own error class
 * (`BadRequestError`, `NotFoundError`, `RateLimitError`, ...).
 */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** An HTTP failure the simulator answers with, in OpenAI's error shape. */
export class SimHttpError extends Error {
  override readonly name = 'SimHttpError';

  constructor(
    readonly status: number,
    message: string,
    readonly type: string = 'invalid_request_error',
    readonly param: string | null = null,
    readonly code: string | null = null,
    /** Extra response headers (retry hints on 429s). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  /** The JSON body OpenAI would send for this error. */
  toBody(): OpenAIErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** 400 for a request OpenAI would refuse as malformed or not allowed in the job's current state. */
export function badRequest(
  message: string,
  param: string | null = null,
  code: string | null = null,
): SimHttpError {
  return new SimHttpError(400, message, 'invalid_request_error', param, code);
}

/** 400 for a missing body field, worded like OpenAI's. */
export function missingParam(param: string): SimHttpError {
  return badRequest(`Missing required parameter: '${param}'.`, param, 'missing_required_parameter');
}

/** 404 for an id the simulator does not know, e.g. `No run found with id 'run_x'.` */
export function notFound(what: string, id: string, param: string | null = null): SimHttpError {
  return new SimHttpError(404, `No ${what} found with id '${id}'.`, 'invalid_request_error', param, null);
}
