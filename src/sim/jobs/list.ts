import { badRequest } from '../server/errors.js';

/** A cursor page as OpenAI's list endpoints return it (the SDK's `CursorPage`). */
export interface ListPage<T> {
  object: 'list';
  data: T[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

/** Pages `items` (oldest first) with OpenAI's `order` (default desc), `limit` (1–100, default 20), `after`, `before`. */
export function paginate<T extends { id: string }>(items: readonly T[], query: URLSearchParams): ListPage<T> {
  const order = query.get('order') ?? 'desc';
  if (order !== 'asc' && order !== 'desc') {
    throw badRequest(`Invalid value for 'order': expected 'asc' or 'desc', got '${order}'.`, 'order');
  }
  const limit = Number(query.get('limit') ?? 20);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw badRequest(`Invalid value for 'limit': expected an integer from 1 to 100.`, 'limit');
  }
  let list = order === 'asc' ? [...items] : [...items].reverse();
  const after = query.get('after');
  const before = query.get('before');
  if (after) list = list.slice(list.findIndex((i) => i.id === after) + 1);
  if (before) {
    const end = list.findIndex((i) => i.id === before);
    if (end >= 0) list = list.slice(0, end);
  }
  const data = list.slice(0, limit);
  return {
    object: 'list',
    data,
    first_id: data[0]?.id ?? null,
    last_id: data[data.length - 1]?.id ?? null,
    has_more: list.length > limit,
  };
}
