// The request functions of sync streams (edition 3): `auth.*` reads the JWT payload,
// `connection.*` the client's connection parameters, `subscription.*` one subscription's parameters.
import type { Expr } from 'pgsql-ast-parser';
import type { CompiledExpression, EvalContext, Evaluator } from './expression';
import * as jsonValues from './json-values';
import type { RequestContext } from './request-context';
import type { SqliteValue } from '@syncline/sqlite-value';
import type { DiagnosticReporter } from './sql-source';

const { jsonArrowText, memberPath } = jsonValues;

export type StreamRequestSource = 'auth' | 'connection' | 'subscription';

export const STREAM_REQUEST_SOURCES: ReadonlySet<string> = new Set(['auth', 'connection', 'subscription']);

/** The JSON text a source's `parameters()` returns (the whole JWT payload for `auth`). */
const SOURCE_JSON: Record<StreamRequestSource, (request: RequestContext) => string | null> = {
  auth: (request) => request.jwtJson,
  connection: (request) => request.parametersJson,
  subscription: (request) => request.subscriptionParametersJson,
};

/** Whether a source is set by the client (and so cannot be trusted for authorization). */
export function isClientControlled(source: StreamRequestSource): boolean {
  return source !== 'auth';
}

function requestValue(source: StreamRequestSource, evaluate: Evaluator): CompiledExpression {
  return { evaluate, usesRow: false, usesRequest: true, usesClientParameters: isClientControlled(source) };
}

/**
 * `<source>.parameters()`, `<source>.parameter(key)` and `auth.user_id()`. `compileArgument` compiles
 * the key expression; undefined is returned after reporting when the call is not one of these.
 */
export function compileStreamRequestCall(
  expr: Expr & { type: 'call' },
  source: StreamRequestSource,
  compileArgument: (arg: Expr) => CompiledExpression,
  report: DiagnosticReporter,
): CompiledExpression | undefined {
  const name = expr.function.name.toLowerCase();
  const json = SOURCE_JSON[source];
  const whole = (ctx: EvalContext): SqliteValue => (ctx.request ? json(ctx.request) : null);
  if (name === 'parameters') {
    if (expr.args.length > 0) report('expression', `${source}.parameters() takes no arguments`, expr);
    return requestValue(source, whole);
  }
  if (name === 'user_id') {
    if (source !== 'auth') {
      report('expression', '.user_id() is only available on auth: auth.user_id()', expr);
      return undefined;
    }
    return requestValue(source, (ctx) => ctx.request?.userId ?? null);
  }
  if (name !== 'parameter') {
    report('expression', `Unknown request function '${source}.${name}'`, expr);
    return undefined;
  }
  const [arg] = expr.args;
  if (expr.args.length !== 1 || arg === undefined) {
    report('expression', `${source}.parameter() takes exactly one argument: the parameter name`, expr);
    return undefined;
  }
  const key = compileArgument(arg);
  if (key.usesRow || key.usesRequest) {
    report('expression', `The argument of ${source}.parameter() must be a constant`, arg);
    return undefined;
  }
  const k = key.evaluate;
  return requestValue(source, (ctx) => {
    const name = k(ctx);
    if (name === null || name instanceof Uint8Array) return null;
    return jsonArrowText(whole(ctx), memberPath(typeof name === 'bigint' ? Number(name) : name, true));
  });
}
