// The HTTP side of `didml serve`, on fastify: route schemas checked by ajv before a handler runs,
// bodies bounded, and every error answered as Twilio's error JSON (rest/errors.ts), whatever
// went wrong: a bad parameter names itself, a body too large is a 413, an unknown route a 404,
// and a bug of ours a 500 without its stack.
//   GET  /health                          liveness and counters
//   POST /calls                           (mock backend) one simulated call from a script
//   /2010-04-01/Accounts/{Sid}/Calls…     Twilio's Calls resource (rest/calls.ts)
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import formbody from '@fastify/formbody';
import type { ErrorObject } from 'ajv';
import type { Logger } from '../log.js';
import { CallRequestError } from '../calls/service.js';
import { CODES, MISSING, PARAMETER_CODES, STATUS_CODES, twilioError } from './rest/errors.js';
import { formAjv, jsonAjv } from './rest/schemas.js';
import { explainErrors } from '../schema-errors.js';

export interface HttpOptions {
  log: Logger;
  /** Largest request body, bytes. */
  bodyLimit: number;
}


/** The code of a REST parameter problem: the parameter's own where Twilio has one. */
function paramCode(e: ErrorObject): number {
  if (e.keyword === 'additionalProperties') return CODES.unknownParameter;
  const field = e.keyword === 'required' ? (e.params as { missingProperty: string }).missingProperty : e.instancePath.split('/')[1];
  if (e.keyword === 'required') return field === 'To' ? CODES.toMissing : field === 'From' ? CODES.fromMissing : CODES.callsResource;
  return PARAMETER_CODES[field ?? ''] ?? CODES.callsResource;
}

/** The body or query a validation error is about, for the words of its message. */
function validated(req: { body?: unknown; query?: unknown }, context: string | undefined): unknown {
  return context === 'querystring' ? req.query : req.body;
}

export async function createHttp(o: HttpOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: o.bodyLimit, forceCloseConnections: true, return503OnClosing: true });
  const json = jsonAjv();
  app.setValidatorCompiler(({ schema }) => json.compile(schema));
  // JSON bodies keep their raw text: a control request may be signed over it (control-auth.ts).
  // Whatever its Content-Type (curl -d sends a form type): a control request's body is JSON.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (req, body, done) => {
    const text = String(body);
    (req as unknown as { rawBody: string }).rawBody = text;
    if (!text.trim()) return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch (e) {
      done(Object.assign(new Error(`the body is not JSON: ${(e as Error).message}`), { statusCode: 400 }), undefined);
    }
  });

  app.setErrorHandler((err: FastifyError & { twilioCode?: number }, req, reply) => {
    const rest = req.url.startsWith('/2010-04-01/');
    if (err instanceof CallRequestError) return reply.code(err.status).send(twilioError(err.status, err.code, err.message));
    if (err.validation) {
      const errors = err.validation as ErrorObject[];
      const first = errors.find((e) => e.keyword === 'required' || e.keyword === 'additionalProperties') ?? errors[0]!;
      let message = explainErrors(errors, validated(req, err.validationContext)).join('; ');
      // Twilio's parameters are not "keys" of a "top level": say it as the API's reader would.
      if (rest) message = message.replace(/\(top level\): unknown key/g, 'unknown parameter').replace(/\(top level\): "(\w+)" is required/g, (_m, name: string) => MISSING[name] ?? `${name} is required`);
      return reply.code(400).send(twilioError(400, rest ? paramCode(first) : CODES.callsResource, message));
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status === 500) {
      o.log.error('request failed', { method: req.method, url: req.url, error: err.message, stack: err.stack });
      return reply.code(500).send(twilioError(500, CODES.internal, 'internal error in didml; the log has the details'));
    }
    const message = err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? `the request body is larger than ${req.routeOptions.bodyLimit ?? o.bodyLimit} bytes` : err.message;
    return reply.code(status).send(twilioError(status, err.twilioCode ?? STATUS_CODES[status] ?? CODES.callsResource, message));
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send(twilioError(404, CODES.notFound, `The requested resource ${req.method} ${req.url.split('?')[0]} was not found`)));
  return app;
}

/** Registers routes that take Twilio's form-encoded parameters (repeated keys as lists, types coerced as Twilio reads them). */
export async function formRoutes(app: FastifyInstance, register: (scope: FastifyInstance) => Promise<void>): Promise<void> {
  await app.register(async (scope) => {
    const form = formAjv();
    scope.setValidatorCompiler(({ schema }) => form.compile(schema));
    // Twilio's API takes form-encoded parameters, and nothing else.
    scope.removeAllContentTypeParsers();
    await scope.register(formbody); // fast-querystring: a repeated key (StatusCallbackEvent) is a list
    await register(scope);
  });
}
