/**
 * What keeps a web page from driving the local runtime. Both servers listen on 127.0.0.1 only,
 * but a browser on the same machine can still reach them:
 *
 * - by DNS rebinding: a page on `evil.example` re-resolves its own name to 127.0.0.1 and talks
 *   to the port as same-origin; its requests carry `Host: evil.example[:port]`. So both servers
 *   answer only a loopback Host name.
 * - by a cross-origin "simple" request: a form post (`application/x-www-form-urlencoded`,
 *   `multipart/form-data`, `text/plain`) is sent without a CORS preflight, and the query
 *   protocol that SNS (and SQS's older clients) speak is exactly a form post. A browser marks
 *   such a request with `Origin` and `Sec-Fetch-Site`; AWS CLIs and SDKs send neither. So the AWS
 *   endpoint refuses any foreign `Origin`, a form-type body with any `Origin`, and any request a
 *   browser marks as coming from another site.
 */
import type { IncomingHttpHeaders } from 'node:http';

// localhost, any *.localhost (RFC 6761 keeps the name on loopback), 127.0.0.1 and [::1], each
// with an optional port.
const LOOPBACK_HOST = /^(?:(?:[a-z0-9-]+\.)*localhost|127\.0\.0\.1|\[::1\])(?::\d{1,5})?$/i;

// The content types a page can send cross-origin without a preflight (the Fetch standard's
// CORS-safelisted request-header values for Content-Type).
const SIMPLE_CONTENT_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']);

/** Whether `host` (a Host header) names the loopback interface: `localhost`, `*.localhost`, `127.0.0.1` or `[::1]`, with any port. */
export function isLoopbackHost(host: string | undefined): boolean {
  return host !== undefined && LOOPBACK_HOST.test(host);
}

/**
 * Why a request with these headers is refused for its Host, or `undefined` when its Host is a
 * loopback name.
 *
 * @example
 * const refusal = hostRefusal(request.headers);
 * if (refusal) return response.writeHead(403).end(refusal);
 */
export function hostRefusal(headers: IncomingHttpHeaders): string | undefined {
  if (isLoopbackHost(headers.host)) return undefined;
  const named = headers.host === undefined ? 'no Host header' : `Host ${JSON.stringify(headers.host)}`;
  return `Refused a request with ${named}: the local runtime answers only localhost, *.localhost, 127.0.0.1 and [::1], which protects it from DNS rebinding.`;
}

/**
 * Why the AWS endpoint refuses a request with these headers (a foreign Host, or a request a
 * browser sent for another site's page), or `undefined` when it is served.
 *
 * @example
 * const refusal = endpointRefusal(request.headers);
 * if (refusal) return response.writeHead(403).end(refusal);
 */
export function endpointRefusal(headers: IncomingHttpHeaders): string | undefined {
  const refusal = hostRefusal(headers) ?? crossSiteRefusal(headers, 'the AWS endpoint serves AWS CLIs and SDKs, not web pages');
  if (refusal) return refusal;
  const origin = headers.origin;
  const contentType = headers['content-type']?.split(';')[0]!.trim().toLowerCase();
  if (origin !== undefined && contentType !== undefined && SIMPLE_CONTENT_TYPES.has(contentType)) {
    return `Refused a ${contentType} request from a web page (Origin: ${origin}): a page can send it without a CORS preflight, an AWS CLI or SDK sends no Origin.`;
  }
  return undefined;
}

/**
 * Why the local console (console-server.ts) refuses a request with these headers: a foreign Host,
 * or a request a browser sent for another site's page. Its own pages are same-origin. Its actions
 * also need the console token (`consoleToken` in the state file), which a foreign page cannot read.
 */
export function consoleRefusal(headers: IncomingHttpHeaders): string | undefined {
  return hostRefusal(headers) ?? crossSiteRefusal(headers, 'the local console serves only its own pages');
}

/** A request a browser marks as sent from another site, or with another page's Origin. */
function crossSiteRefusal(headers: IncomingHttpHeaders, serves: string): string | undefined {
  const origin = headers.origin;
  const site = headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') {
    return `Refused a request a browser sent from another site (Sec-Fetch-Site: ${site}): ${serves}.`;
  }
  if (origin !== undefined && origin.toLowerCase() !== `http://${headers.host!.toLowerCase()}`) {
    return `Refused a cross-origin request from ${origin}: ${serves}.`;
  }
  return undefined;
}
