import { VERSION } from 'openai/version';

/** The major version of the installed `openai` SDK: CI runs the simulator tests against 6 and 7. */
export const OPENAI_MAJOR = Number(VERSION.split('.')[0]);

/**
 * Connections a stream needs to read a failed response to its end: openai 7 throws the stream's `error` event
 * (its legacy stream mode) where openai 6 yields it, so the rest is read on a connection resumed after it.
 */
export const CONNECTIONS_THROUGH_ERROR_EVENT = OPENAI_MAJOR >= 7 ? 2 : 1;
