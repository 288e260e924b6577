// The webhook events the hub test posts are events as openai 7 types them (compile time only; left out of the
// openai 6 leg, whose SDK lacks these types: tsconfig.openai6.json).
import type { UnwrapWebhookEvent } from 'openai/resources/webhooks/webhooks';
import { openai7WebhookEvents } from '../helpers/openai7-webhook-events.js';

export const conforms = (): UnwrapWebhookEvent[] => openai7WebhookEvents(0);
