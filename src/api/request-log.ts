import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

/**
 * One access line per request, at debug, instead of Fastify's two at info: at the default level the
 * log tells what happened to deliveries and the service, not every poll of /readyz; LOG_LEVEL=debug
 * brings the lines back. Errors keep Fastify's own `request errored` line at error.
 */
export class RequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) {
      super.requestCompleted(error, request, reply);
      return;
    }
    reply.log.debug(
      { method: request.method, url: request.url, statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 },
      `${request.method} ${request.url} ${reply.statusCode}`,
    );
  }
}
