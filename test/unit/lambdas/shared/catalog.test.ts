/** The producer's event catalog, baked in at build time or given in the environment. */
import { describe, expect, it } from 'vitest';
import { EventCatalogError, findCatalogEntry, loadEventCatalog, parseEventCatalog } from '../../../../lambdas/shared/catalog.ts';

const entry = { eventType: 'order.placed', method: 'POST', resourcePath: '/orders', schema: { type: 'object' } };

describe('event catalog', () => {
  it('loads the catalog from QUEUEFLOW_EVENT_CATALOG when no build-time catalog is defined', () => {
    // Act / Assess
    expect(loadEventCatalog({ QUEUEFLOW_EVENT_CATALOG: JSON.stringify([entry]) })).toEqual([entry]);
  });

  it.each([
    ['missing', undefined, /No event catalog/],
    ['not JSON', '[{', /not valid JSON/],
    ['empty', '[]', /not an event catalog/],
    ['an entry without a schema', JSON.stringify([{ ...entry, schema: undefined }]), /schema/],
    ['a resource path without a leading slash', JSON.stringify([{ ...entry, resourcePath: 'orders' }]), /resourcePath/],
  ])('refuses a catalog that is %s', (_case, json, message) => {
    // Act / Assess
    expect(() => parseEventCatalog(json)).toThrow(EventCatalogError);
    expect(() => parseEventCatalog(json)).toThrow(message);
  });

  it('finds an entry by method (any case) and exact resource path', () => {
    // Prepare
    const catalog = [entry, { ...entry, eventType: 'user.erasure_requested', resourcePath: '/users/{userId}/erasure' }];

    // Act / Assess
    expect(findCatalogEntry(catalog, 'post', '/users/{userId}/erasure')?.eventType).toBe('user.erasure_requested');
    expect(findCatalogEntry(catalog, 'POST', '/ORDERS')).toBeUndefined();
    expect(findCatalogEntry(catalog, 'GET', '/orders')).toBeUndefined();
  });
});
