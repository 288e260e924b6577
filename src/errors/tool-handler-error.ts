import { RunstateError, type RunstateErrorOptions } from './runstate-error.js';

/** A tool handler threw while `onToolError: 'fail'` was set: the watch ends with this error. */
export class ToolHandlerError extends RunstateError {
  override readonly name = 'ToolHandlerError';
  readonly toolCallId: string;
  readonly toolName: string;
  constructor(message: string, toolCallId: string, toolName: string, options: RunstateErrorOptions = {}) {
    super('tool_handler_failed', message, options);
    this.toolCallId = toolCallId;
    this.toolName = toolName;
  }
}
