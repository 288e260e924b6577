// OpenAI's endpoint secrets are `whsec_` + base64. The SDK would take anything else as raw bytes, and every
// delivery would then fail as bad_signature with nothing pointing at the secret: the rule is checked once, at
// construction, by the hub, the verifier and the CLI alike.

// Buffer's base64 decoder also takes the URL-safe alphabet and missing padding, so accept those too.
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/**
 * What is wrong with a webhook signing secret, as a sentence that never quotes it; undefined when it is well
 * formed (`whsec_` followed by base64).
 */
export function webhookSecretProblem(secret: unknown): string | undefined {
  if (typeof secret !== 'string' || secret.length === 0) return 'is empty';
  if (!secret.startsWith('whsec_')) {
    return "does not start with whsec_: use the endpoint's signing secret as the dashboard shows it (whsec_...)";
  }
  // A `whsec_` secret that is not base64 would silently decode to a short key and reject every delivery
  // (openai/openai-node#1887).
  if (!BASE64.test(secret.slice('whsec_'.length))) {
    return 'starts with whsec_ but is not valid base64: copy it again from the dashboard';
  }
  return undefined;
}
