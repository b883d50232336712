import { isUtf8 } from 'node:buffer';
import type { FastifyInstance } from 'fastify';
import { Problem } from '../errors/problem';

/**
 * JSON bodies as Fastify parses them (prototype poisoning refused), after one check of its own: the
 * bytes must be valid UTF-8. Decoding them leniently would store U+FFFD in place of what the client
 * sent, silently; the schemas already refuse lone surrogates for the same reason.
 */
export function installJsonBodyParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    const bytes = body as Buffer;
    if (!isUtf8(bytes)) {
      done(new Problem(400, 'Bad Request', 'the request body is not valid UTF-8', [{ path: 'body', message: 'must be valid UTF-8 (JSON text is UTF-8; invalid byte sequences are not replaced)' }]), undefined);
      return;
    }
    void parseJson(req, bytes.toString('utf8'), done);
  });
}
