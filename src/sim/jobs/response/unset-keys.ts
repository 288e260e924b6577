/**
 * The keys of a Response that the API sends with null (or its default) when the request did not set them. The raw
 * JSON carries them all: clients whose models declare every field (the Python SDK's) read them, and the spec's
 * Response declares each. Shared by retrieved responses and batch result bodies.
 */
export function unsetResponseKeys() {
  return {
    service_tier: 'default',
    store: true,
    reasoning: null,
    max_output_tokens: null,
    max_tool_calls: null,
    previous_response_id: null,
    prompt: null,
    prompt_cache_key: null,
    prompt_cache_retention: null,
    safety_identifier: null,
    top_logprobs: 0,
    user: null,
    conversation: null,
    moderation: null,
    prompt_cache_options: null,
  } as const;
}
