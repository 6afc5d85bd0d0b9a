/**
 * How the local gateway picks the request model for a body, as API Gateway does
 * (docs/aws-behaviour.md, "Request model selection").
 */
import { describe, expect, it } from 'vitest';
import { requestModelSelector } from '../../../lib/local/request-model-selector.ts';

describe('requestModelSelector', () => {
  const select = requestModelSelector({ 'application/json': 'json model', 'application/xml': 'xml model' });
  const withDefault = requestModelSelector({ 'application/json': 'json model', $default: 'default model' });

  it.each([
    ['application/json', 'json model'],
    ['application/xml', 'xml model'],
  ])('picks the model of the matching content type (%s)', (contentType, model) => {
    expect(select(contentType)).toBe(model);
  });

  it.each([[undefined], [''], ['   ']])('takes a request without a Content-Type (%j) as application/json', (contentType) => {
    expect(select(contentType)).toBe('json model');
  });

  it.each(['application/json; charset=utf-8', 'application/json;charset="UTF-8"', 'APPLICATION/JSON', ' application/json ; q=1'])(
    'matches on the media type, ignoring parameters and case (%s)',
    (contentType) => {
      expect(select(contentType)).toBe('json model');
    },
  );

  it.each(['text/plain', 'application/jsonp', 'application/problem+json', 'multipart/form-data; boundary=x', '*/*'])(
    'falls back to the $default model for any other content type (%s)',
    (contentType) => {
      expect(withDefault(contentType)).toBe('default model');
      expect(withDefault('application/json; charset=utf-8')).toBe('json model');
    },
  );

  it('selects nothing, so the body passes unvalidated, when no model matches and there is no $default', () => {
    expect(select('text/plain')).toBeUndefined();
    expect(requestModelSelector({})('application/json')).toBeUndefined();
  });

  it('matches model keys whatever their case', () => {
    expect(requestModelSelector({ 'Application/JSON': 'json model' })('application/json')).toBe('json model');
  });
});
