/**
 * One event of each webhook type openai 7 added that names no job (`safety.*`, `live.*`, `agent.environment.*`),
 * shaped as the SDK types them. Not annotated with the SDK's type, so that the tests compile with openai 6 too;
 * test/types/webhook-events.openai7.test-d.ts checks the inferred shapes against openai 7's `UnwrapWebhookEvent`.
 */
export function openai7WebhookEvents(created_at: number) {
  const base = { object: 'event', created_at } as const;
  return [
    { ...base, id: 'evt_0', type: 'safety.alert.created', data: { id: 'alert_1' } } as const,
    { ...base, id: 'evt_1', type: 'safety.org_alert.created', data: { id: 'alert_2' } } as const,
    { ...base, id: 'evt_2', type: 'safety.warning_issued', data: { id: 'case_1' } } as const,
    { ...base, id: 'evt_3', type: 'safety.deactivation_issued', data: { id: 'case_2' } } as const,
    {
      ...base,
      id: 'evt_4',
      type: 'live.call.incoming',
      data: { session_id: 'live_1', sip_headers: [] as never[] },
    } as const,
    {
      ...base,
      id: 'evt_5',
      type: 'live.transport.connected',
      data: { session_id: 'live_2', type: 'webrtc' },
    } as const,
    {
      ...base,
      id: 'evt_6',
      type: 'live.transport.incoming',
      data: { session_id: 'live_3', sip_headers: [] as never[], type: 'sip' },
    } as const,
    { ...base, id: 'evt_7', type: 'agent.environment.ready', data: { id: 'env_1' } } as const,
    { ...base, id: 'evt_8', type: 'agent.environment.failed', data: { id: 'env_1' } } as const,
    { ...base, id: 'evt_9', type: 'agent.environment.suspended', data: { id: 'env_1' } } as const,
    { ...base, id: 'evt_10', type: 'agent.environment.expired', data: { id: 'env_1' } } as const,
  ];
}
