import type { Response, ResponseOutputItem, ResponseStreamEvent } from 'openai/resources/responses/responses';

/** The response as the stream has built it so far: the last lifecycle object, with the output written since. */
export class Accumulated {
  response: Response | undefined;
  private readonly items: ResponseOutputItem[] = [];

  /** Folds one stream event in: a lifecycle event replaces the response, an output event adds to the output. */
  apply(event: ResponseStreamEvent): void {
    switch (event.type) {
      case 'response.output_item.added':
      case 'response.output_item.done':
        this.items[event.output_index] = structuredClone(event.item);
        return;
      case 'response.content_part.added': {
        const item = this.items[event.output_index];
        if (item?.type === 'message' && event.part.type !== 'reasoning_text') {
          item.content[event.content_index] = structuredClone(event.part);
        }
        return;
      }
      case 'response.output_text.delta': {
        const item = this.items[event.output_index];
        const part = item?.type === 'message' ? item.content[event.content_index] : undefined;
        if (part?.type === 'output_text') part.text += event.delta;
        return;
      }
      default:
        if ('response' in event) this.response = event.response;
    }
  }

  /** The text written so far, as the SDK's `output_text` joins it: every `output_text` part of every message. */
  get text(): string {
    return outputText(this.items);
  }

  /** The response with the output so far; a terminal response keeps its own output when it has one. */
  job(): Response | undefined {
    const { response } = this;
    if (!response) return undefined;
    const output = response.output.length > 0 ? response.output : structuredClone(this.items.filter(Boolean));
    return { ...response, output, output_text: outputText(output) };
  }
}

/** The text of `items` as the SDK's `output_text` joins it: every `output_text` part of every message. */
export function outputText(items: readonly ResponseOutputItem[]): string {
  let text = '';
  for (const item of items) {
    if (item?.type !== 'message') continue;
    for (const part of item.content) if (part.type === 'output_text') text += part.text;
  }
  return text;
}
