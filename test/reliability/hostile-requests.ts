// Hostile webhook requests, and valid deliveries for them to aim at: shared by the hub fuzz
// (test/reliability/hub-fuzz.test.ts) and the hostile-load benchmark (bench/reliability.ts).
import { makeWebhookSecret, signWebhook, webhookEventBody } from '../helpers/sign-webhook.js';

/** The hub's `maxBodyBytes` these requests are built for: `oversized` ones exceed it. */
export const MAX_BODY = 4096;

/** One request: how to build it once the secret and a fresh counter are known. */
export type Kind =
  | 'valid'
  | 'replay'
  | 'wrong_method'
  | 'missing_header'
  | 'other_secret'
  | 'tampered_body'
  | 'stale'
  | 'future'
  | 'not_json'
  | 'not_an_event'
  | 'oversized'
  | 'garbage_signature'
  | 'stolen_id';

/** Every hostile kind. */
export const HOSTILE: readonly Kind[] = [
  'replay',
  'wrong_method',
  'missing_header',
  'other_secret',
  'tampered_body',
  'stale',
  'future',
  'not_json',
  'not_an_event',
  'oversized',
  'garbage_signature',
  'stolen_id',
];

/** A request ready to send; valid deliveries are about `resp_valid_<i>`, hostile ones never deliver anything. */
export interface Built {
  kind: Kind;
  method: string;
  body: string;
  headers: Record<string, string>;
}

const now = () => Math.floor(Date.now() / 1000);

/** Builds the requests of one sequence; hostile ones aim at the valid ones built before them. */
export function build(kinds: readonly Kind[], secret: string, junk: readonly string[]): Built[] {
  const other = makeWebhookSecret();
  const valid: Built[] = [];
  const one = (kind: Kind, i: number): Built => {
    const hostileBody = webhookEventBody('response.completed', `resp_hostile_${i}`);
    const noise = junk[i % junk.length] ?? '';
    const target = valid.at(-1 - (i % Math.max(1, valid.length)));
    switch (kind) {
      case 'valid': {
        const body = webhookEventBody('response.completed', `resp_valid_${i}`);
        const built = {
          kind,
          method: 'POST',
          body,
          headers: signWebhook({ secret, body, id: `wh_valid_${i}` }),
        };
        valid.push(built);
        return built;
      }
      case 'replay':
        return target ? { ...target, kind } : { kind, method: 'POST', body: hostileBody, headers: {} };
      case 'wrong_method':
        return {
          kind,
          method: 'PUT',
          body: hostileBody,
          headers: signWebhook({ secret, body: hostileBody }),
        };
      case 'missing_header': {
        const headers = signWebhook({ secret, body: hostileBody });
        delete headers[['webhook-id', 'webhook-timestamp', 'webhook-signature'][i % 3]!];
        return { kind, method: 'POST', body: hostileBody, headers };
      }
      case 'other_secret':
        return {
          kind,
          method: 'POST',
          body: hostileBody,
          headers: signWebhook({ secret: other, body: hostileBody }),
        };
      case 'tampered_body': {
        const base = target ?? { body: hostileBody, headers: signWebhook({ secret, body: hostileBody }) };
        const body = base.body.replace('resp_valid', 'resp_hostile').replace('completed', 'failed') + noise;
        return { kind, method: 'POST', body, headers: base.headers };
      }
      case 'stale':
        return {
          kind,
          method: 'POST',
          body: hostileBody,
          headers: signWebhook({ secret, body: hostileBody, timestamp: now() - 301 - (i % 5000) }),
        };
      // An hour ahead, not just past the tolerance: a request built now and sent a minute later must still be early.
      case 'future':
        return {
          kind,
          method: 'POST',
          body: hostileBody,
          headers: signWebhook({ secret, body: hostileBody, timestamp: now() + 3600 + (i % 5000) }),
        };
      case 'not_json': {
        const body = `{"id":"evt_x","data":{"id":"resp_hostile_${i}"}${noise}`;
        return { kind, method: 'POST', body, headers: signWebhook({ secret, body }) };
      }
      case 'not_an_event': {
        const body = JSON.stringify({ data: { id: `resp_hostile_${i}` }, junk: noise });
        return { kind, method: 'POST', body, headers: signWebhook({ secret, body }) };
      }
      case 'oversized': {
        const body = JSON.stringify({
          id: 'evt_big',
          type: 'response.completed',
          created_at: now(),
          data: { id: `resp_hostile_${i}` },
          pad: 'x'.repeat(MAX_BODY),
        });
        return { kind, method: 'POST', body, headers: signWebhook({ secret, body }) };
      }
      case 'garbage_signature': {
        const headers = signWebhook({ secret, body: hostileBody });
        headers['webhook-signature'] = noise.length > 0 ? `v1,${noise} v1 ,, ${noise}` : 'v1,';
        return { kind, method: 'POST', body: hostileBody, headers };
      }
      case 'stolen_id': {
        // A real delivery's id on a body signed with another key: must not burn the id of the real one.
        const headers = signWebhook({ secret: other, body: hostileBody, id: `wh_valid_${i + 1}` });
        return { kind, method: 'POST', body: hostileBody, headers };
      }
    }
  };
  return kinds.map(one);
}
