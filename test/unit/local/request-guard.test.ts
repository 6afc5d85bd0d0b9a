import { describe, expect, it } from 'vitest';
import { endpointRefusal, hostRefusal, isLoopbackHost } from '../../../lib/local/request-guard.ts';

const form = 'application/x-www-form-urlencoded';

describe('isLoopbackHost', () => {
  it.each(['localhost', 'localhost:4566', 'LOCALHOST:1', 'sqs.us-east-1.localhost:4566', 'api.localhost', '127.0.0.1', '127.0.0.1:3000', '[::1]', '[::1]:4566'])(
    'accepts %s',
    (host) => expect(isLoopbackHost(host)).toBe(true),
  );

  it.each(['evil.example', 'evil.example:4566', 'localhost.evil.example', 'evillocalhost', '127.0.0.2', '0.0.0.0:4566', '192.168.1.10:4566', '[::2]', 'localhost:', ''])(
    'refuses %s',
    (host) => expect(isLoopbackHost(host)).toBe(false),
  );

  it('refuses a request without a Host header', () => {
    expect(isLoopbackHost(undefined)).toBe(false);
    expect(hostRefusal({})).toMatch(/no Host header/);
  });
});

describe('endpointRefusal', () => {
  const host = '127.0.0.1:4566';

  it('serves what an AWS CLI or SDK sends: a form post or a JSON request with no Origin', () => {
    expect(endpointRefusal({ host, 'content-type': form })).toBeUndefined();
    expect(endpointRefusal({ host, 'content-type': 'application/x-amz-json-1.0' })).toBeUndefined();
    expect(endpointRefusal({ host: 'localhost:4566' })).toBeUndefined();
  });

  it('refuses a foreign Host (DNS rebinding) before anything else', () => {
    expect(endpointRefusal({ host: 'evil.example:4566', 'content-type': 'application/x-amz-json-1.0' })).toMatch(/Host "evil.example:4566"/);
  });

  it('refuses a request from another origin, whatever its content type', () => {
    expect(endpointRefusal({ host, origin: 'http://evil.example', 'content-type': 'application/x-amz-json-1.0' })).toMatch(/cross-origin/);
    expect(endpointRefusal({ host, origin: 'null' })).toMatch(/cross-origin/);
    expect(endpointRefusal({ host, origin: 'http://localhost:4566' })).toMatch(/cross-origin/);
  });

  it('serves a JSON request from its own origin', () => {
    expect(endpointRefusal({ host, origin: `http://${host}`, 'content-type': 'application/x-amz-json-1.0' })).toBeUndefined();
  });

  it.each([form, 'multipart/form-data; boundary=x', 'text/plain;charset=UTF-8'])('refuses a %s body that carries an Origin, even its own', (contentType) => {
    expect(endpointRefusal({ host, origin: `http://${host}`, 'content-type': contentType })).toMatch(/without a CORS preflight/);
  });

  it.each(['cross-site', 'same-site'])('refuses a request a browser marks Sec-Fetch-Site: %s, with or without an Origin', (site) => {
    expect(endpointRefusal({ host, 'sec-fetch-site': site, 'content-type': form })).toMatch(/another site/);
    expect(endpointRefusal({ host, 'sec-fetch-site': site })).toMatch(/another site/);
  });

  it('serves a request a browser marks same-origin or user-initiated', () => {
    expect(endpointRefusal({ host, 'sec-fetch-site': 'same-origin' })).toBeUndefined();
    expect(endpointRefusal({ host, 'sec-fetch-site': 'none' })).toBeUndefined();
  });
});
