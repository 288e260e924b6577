/** Tool handlers a `runstate worker --tools` child process loads in the kill test. */
export function get_weather(args: { city?: string }, call: { id: string }): string {
  return JSON.stringify({ city: args.city ?? 'nowhere', sky: 'clear', call: call.id });
}
