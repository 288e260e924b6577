import OpenAI, { InvalidWebhookSignatureError } from 'openai';
import { ConfigurationError } from '../errors/configuration-error.js';
import { WebhookVerificationError } from '../errors/webhook-verification-error.js';
import { toWebhookEvent, type WebhookEvent } from './event.js';
import { webhookSecretProblem } from './secret.js';

/** The part of an OpenAI client that verification uses. */
export type WebhookClient = Pick<OpenAI, 'webhooks'>;

/** Options of {@link createWebhookVerifier}. */
export interface WebhookVerifierOptions {
  /** Accepted secrets (`whsec_…`), tried in order: list the new and the old one while rotating. */
  secrets: readonly string[];
  /**
   * Maximum age (and clock skew) of `webhook-timestamp`, in seconds.
   *
   * @defaultValue `300`, as the SDK's
   */
  tolerance?: number;
  /** The client whose `webhooks.unwrap` verifies; default: a client that is never used for requests. */
  client?: WebhookClient;
}

/** Checks one delivery and returns its event; rejects with a {@link WebhookVerificationError}. */
export type WebhookVerifier = (body: string, headers: Headers) => Promise<WebhookEvent>;

const REQUIRED_HEADERS = ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const;

/**
 * Verifies Standard Webhooks deliveries through the SDK's `client.webhooks.unwrap` (no HMAC of our own), trying each
 * secret, and reads the body as a {@link WebhookEvent}.
 */
export function createWebhookVerifier(options: WebhookVerifierOptions): WebhookVerifier {
  const secrets = checkSecrets(options.secrets);
  const tolerance = options.tolerance ?? 300;
  if (!(tolerance > 0))
    throw new ConfigurationError(`webhook tolerance must be a positive number of seconds`);
  const client = options.client ?? detachedClient();

  return async (body, headers) => {
    const webhookId = headers.get('webhook-id') ?? undefined;
    const missing = REQUIRED_HEADERS.filter((name) => !headers.get(name));
    if (missing.length > 0) {
      throw new WebhookVerificationError(
        'missing_headers',
        `webhook request lacks ${missing.join(', ')}: not a Standard Webhooks delivery`,
        { webhookId },
      );
    }
    for (const secret of secrets) {
      let payload: unknown;
      try {
        payload = await client.webhooks.unwrap(body, headers, secret, tolerance);
      } catch (e) {
        // unwrap verifies first and parses after: a SyntaxError means the signature matched this secret.
        if (e instanceof SyntaxError) {
          throw new WebhookVerificationError(
            'invalid_payload',
            'webhook body is correctly signed but not JSON',
            {
              webhookId,
            },
          );
        }
        if (!isSignatureError(e)) throw e;
        // The timestamp check comes before the signature and does not depend on the secret: no point trying others.
        if (/timestamp/i.test(e.message)) {
          throw new WebhookVerificationError(
            'stale_timestamp',
            `webhook timestamp is not within ${tolerance} s of now (${e.message}): a replay, or a clock out of sync`,
            { webhookId, cause: e },
          );
        }
        continue;
      }
      const event = toWebhookEvent(payload, webhookId!);
      if (!event) {
        throw new WebhookVerificationError(
          'invalid_payload',
          'webhook body is correctly signed but is not an event { id, type, created_at, data }',
          { webhookId },
        );
      }
      return event;
    }
    throw new WebhookVerificationError(
      'bad_signature',
      `webhook signature matches none of the ${secrets.length} configured secret(s): check the endpoint's signing secret`,
      { webhookId },
    );
  };
}

function isSignatureError(e: unknown): e is Error {
  return (
    e instanceof InvalidWebhookSignatureError ||
    (e as Error)?.constructor?.name === 'InvalidWebhookSignatureError'
  );
}

// Messages name the position, never the secret.
function checkSecrets(secrets: readonly string[]): readonly string[] {
  if (secrets.length === 0) throw new ConfigurationError('createWebhookHub needs a secret (or secrets)');
  secrets.forEach((secret, i) => {
    const problem = webhookSecretProblem(secret);
    if (problem) throw new ConfigurationError(`webhook secret #${i + 1} ${problem}`);
  });
  return [...secrets];
}

// The library never reads the environment: every option the constructor would otherwise fill from process.env is
// passed explicitly. This client makes no requests; it only lends its `webhooks.unwrap`.
function detachedClient(): WebhookClient {
  return new OpenAI({
    apiKey: 'unused-for-webhooks',
    adminAPIKey: null,
    baseURL: 'https://api.openai.com/v1',
    organization: null,
    project: null,
    webhookSecret: null,
    logLevel: 'off',
  });
}
