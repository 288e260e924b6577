/**
 * Where runstate writes what an operator wants to know (a 429 pause, a reconnect, a watch that ended with an
 * error): the shape pino and `console` share, fields first, message second. runstate logs ids, kinds, routes,
 * statuses and error codes; never an API key, a request body or a tool call's arguments.
 *
 * @example
 * watchRun({ client, job, logger: pino() });
 * watchRun({ client, job, logger: console });
 */
export interface Logger {
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}

/** One event as runstate logs it: a stable `event` name and bounded fields. */
export interface LogEvent {
  event: string;
  [field: string]: unknown;
}
