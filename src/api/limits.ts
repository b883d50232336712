// Limits that keep one tenant from taking the shared workers (docs/flow-control.md). A request over
// one is refused whole, with the limit's setting and value named so the caller knows what to ask for.
import { Problem } from '../errors/problem';

export function limitExceeded(setting: string, limit: number, path: string, detail: string): Problem {
  return new Problem(422, 'Limit Exceeded', `${detail}; the limit is ${limit} (${setting})`, [
    { path, message: `exceeds ${setting} (${limit})` },
  ]);
}
