/**
 * An API object as OpenAI's wire carries it: every key the SDK declares is present, and an optional one without a
 * value is `null` (the SDK types those as absent, the API sends them null, and clients whose models declare every
 * field, as the Python SDK's do, read them). Building an answer as a `Wire<T>` makes the compiler ask for each key.
 */
export type Wire<T> = { [K in keyof T]-?: undefined extends T[K] ? Exclude<T[K], undefined> | null : T[K] };

/** The object as the SDK types it: its nulls are what the SDK's optional fields read as absent. */
export const asSdk = <T>(wire: Wire<T>): T => wire as unknown as T;
