// The local console's page: plain DOM, no framework, no build step. Every value from the runtime
// is set as text (never parsed as HTML). Views: #/map, #/dead-letters[/<consumer>],
// #/traces?q=…, #/trace/<eventId>[/logs/<lambdaRequestId>].

const token = document.querySelector('meta[name="queueflow-console-token"]').content;
const main = document.getElementById('main');
const liveStatus = document.getElementById('live');
let stats = { queues: {}, functions: {} };
let current = { view: '', rerender: null, traceId: null };

/** `h('a', { href: '#' }, 'text', child)`: an element with attributes and text or element children. */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'className') element.className = value;
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

async function api(path, init = {}) {
  const response = await fetch(path, init);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.detail ?? `${response.status} ${response.statusText}`);
  return body;
}

function action(path, body) {
  return api(path, { method: 'POST', headers: { 'content-type': 'application/json', 'x-queueflow-console-token': token }, body: JSON.stringify(body ?? {}) });
}

const time = (ms) => new Date(ms).toLocaleTimeString(undefined, { hour12: false }) + '.' + String(new Date(ms).getMilliseconds()).padStart(3, '0');
const millis = (ms) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`);

function show(title, ...content) {
  main.replaceChildren(h('h2', {}, title), ...content.filter((child) => child !== null && child !== undefined));
  document.title = `${title} · queueflow console`;
}

function notice(text, kind = '') {
  return h('p', { className: `notice ${kind}`, role: kind === 'bad' ? 'alert' : 'status' }, text);
}

function confirmDialog(text, confirmLabel) {
  const dialog = document.getElementById('confirm');
  document.getElementById('confirm-text').textContent = text;
  document.getElementById('confirm-ok').textContent = confirmLabel;
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) => dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true }));
}

// ---- Workflow map -------------------------------------------------------------------------

function queueStats(name) {
  const counts = stats.queues[name];
  return h('span', { className: 'stats', 'data-queue': name }, counts ? `${counts.visible} waiting · ${counts.inFlight} in flight` : '…');
}

function functionStats(name) {
  const fn = stats.functions[name];
  return h('span', { className: 'stats', 'data-function': name }, fn ? `${fn.perSecond}/s · ${fn.invocations} invocations · ${fn.errors} errors` : '…');
}

function updateStats() {
  for (const element of main.querySelectorAll('[data-queue]')) element.replaceWith(queueStats(element.dataset.queue));
  for (const element of main.querySelectorAll('[data-function]')) element.replaceWith(functionStats(element.dataset.function));
  for (const element of main.querySelectorAll('[data-dlq-depth]')) {
    const counts = stats.queues[element.dataset.dlqDepth];
    const depth = counts ? counts.visible + counts.inFlight : 0;
    element.textContent = `${depth} dead letter${depth === 1 ? '' : 's'}`;
    element.className = depth > 0 ? 'badge bad' : 'badge muted';
  }
}

async function renderMap() {
  const map = await api('/api/map');
  stats = map.stats;
  // Routes grouped by the function they invoke, with the topics it publishes to.
  const byFunction = Map.groupBy(map.routes, (route) => route.function.name);
  const routes = [...byFunction.values()].map((group) => {
    const fn = group[0].function;
    return h(
      'div',
      { className: 'node producer' },
      h('ul', { className: 'routes', 'aria-label': `Routes to ${fn.label}` }, group.map((route) => h('li', { className: 'mono' }, `${route.method} ${route.path}`, route.apiKeyRequired ? h('span', { className: 'muted' }, ' (x-api-key)') : null))),
      h('div', {}, '→ ', h('span', { className: 'name' }, fn.label), ' ', functionStats(fn.name), fn.topics.length ? [' → topic ', h('span', { className: 'mono' }, fn.topics.join(', '))] : null),
    );
  });
  const topics = map.topics.map((topic) =>
    h(
      'section',
      { 'aria-label': `Topic ${topic.name}` },
      h('h3', {}, 'Topic ', h('span', { className: 'mono' }, topic.name), h('span', { className: 'muted' }, ` · ${topic.subscriptions.length} subscriptions`)),
      h(
        'table',
        {},
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Subscription (filter policy)'), h('th', { scope: 'col' }, 'Queue'), h('th', { scope: 'col' }, 'Dead-letter queue'), h('th', { scope: 'col' }, 'Function'))),
        h(
          'tbody',
          {},
          topic.subscriptions.map((s) =>
            h(
              'tr',
              {},
              h('td', {}, h('span', { className: 'name' }, s.label), h('br'), h('span', { className: 'policy' }, s.filterPolicy ?? 'no filter: every event')),
              h('td', {}, h('span', { className: 'mono' }, s.queue), h('br'), queueStats(s.queue)),
              h('td', {}, s.dlq ? [h('span', { className: 'mono' }, s.dlq), h('br'), h('a', { href: `#/dead-letters/${encodeURIComponent(s.consumer)}` }, h('span', { 'data-dlq-depth': s.dlq }, '…'))] : h('span', { className: 'muted' }, 'none')),
              h('td', { className: 'fn' }, s.function ? [h('span', { className: 'name' }, s.function.label), h('br'), functionStats(s.function.name)] : h('span', { className: 'muted' }, 'no consumer function')),
            ),
          ),
        ),
      ),
    ),
  );
  show(`Workflow map · ${map.stackNames.join(', ')}`, h('h3', {}, 'Routes → function → topic'), ...routes, ...topics);
  updateStats();
  current.rerender = null;
}

// ---- Dead letters -------------------------------------------------------------------------

async function renderDeadLetterIndex() {
  const { consumers } = await api('/api/dead-letters');
  show(
    'Dead letters',
    h(
      'table',
      {},
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Consumer'), h('th', { scope: 'col' }, 'Dead letters'), h('th', { scope: 'col' }, 'In flight (being peeked or redriven)'))),
      h('tbody', {}, consumers.map((c) => h('tr', {}, h('td', {}, h('a', { href: `#/dead-letters/${encodeURIComponent(c.consumer)}` }, c.consumer)), h('td', { className: 'num' }, c.visible), h('td', { className: 'num' }, c.inFlight)))),
    ),
  );
}

async function renderDeadLetters(consumer, message) {
  show(`Dead letters · ${consumer}`, notice('Reading the DLQ…'));
  const peeked = await api(`/api/dead-letters/${encodeURIComponent(consumer)}?limit=50`);
  const letters = peeked.deadLetters;
  const selected = new Set();
  const redriveSelected = h('button', { type: 'button', disabled: true, onclick: () => redrive([...selected]) }, 'Redrive selected');
  const refresh = () => renderDeadLetters(consumer).catch(failed);
  const redrive = async (eventIds) => {
    const what = eventIds.length > 0 ? `${eventIds.length} selected event${eventIds.length === 1 ? '' : 's'}` : 'every dead letter';
    if (!(await confirmDialog(`Move ${what} from the ${consumer} DLQ back to its queue, where the consumer processes them again?`, 'Redrive'))) return;
    try {
      const result = await action(`/api/dead-letters/${encodeURIComponent(consumer)}/redrive`, { eventIds });
      await renderDeadLetters(consumer, `Moved ${result.moved} message${result.moved === 1 ? '' : 's'} back to the ${consumer} queue.`);
    } catch (error) {
      await renderDeadLetters(consumer, `Redrive failed: ${error.message}`);
    }
  };
  const purge = async () => {
    if (!(await confirmDialog(`Permanently delete every message in the ${consumer} DLQ? This cannot be undone.`, 'Purge'))) return;
    try {
      const result = await action(`/api/dead-letters/${encodeURIComponent(consumer)}/purge`);
      await renderDeadLetters(consumer, result.message);
    } catch (error) {
      await renderDeadLetters(consumer, `Purge failed: ${error.message}`);
    }
  };
  const rows = letters.map((letter) => {
    const failure = letter.failure;
    const checkbox = h('input', {
      type: 'checkbox',
      'aria-label': `Select event ${letter.eventId ?? letter.messageId}`,
      disabled: letter.eventId === null,
      onchange: (event) => {
        if (event.target.checked) selected.add(letter.eventId);
        else selected.delete(letter.eventId);
        redriveSelected.disabled = selected.size === 0;
      },
    });
    return h(
      'tr',
      { 'data-event-id': letter.eventId ?? '' },
      h('td', {}, checkbox),
      h('td', {}, letter.eventId ? h('a', { className: 'mono', href: `#/trace/${encodeURIComponent(letter.eventId)}` }, letter.eventId) : h('span', { className: 'muted' }, 'not an envelope'), h('br'), h('span', { className: 'muted' }, letter.eventType ?? '')),
      h('td', { className: 'reason' }, failure ? h('span', { className: 'bad' }, `${failure.errorType ?? 'Error'}: ${failure.errorMessage ?? ''}`) : h('span', { className: 'muted' }, 'no failure record (expired, or failed before the consumer ran)'), failure?.permanent === true ? h('div', { className: 'muted' }, 'permanent: sent to the DLQ at once') : null),
      h('td', { className: 'num' }, failure?.attempts ?? '–'),
      h('td', { className: 'num' }, letter.receiveCount),
      h('td', {}, failure?.firstFailureAt ? time(Date.parse(failure.firstFailureAt)) : '–', ' / ', failure?.lastFailureAt ? time(Date.parse(failure.lastFailureAt)) : '–'),
      h('td', {}, letter.sentAt ? time(Date.parse(letter.sentAt)) : '–'),
    );
  });
  const depth = peeked.counts.visible + peeked.counts.inFlight;
  show(
    `Dead letters · ${consumer}`,
    message ? notice(message, /failed/.test(message) ? 'bad' : '') : null,
    h(
      'div',
      { className: 'toolbar' },
      redriveSelected,
      h('button', { type: 'button', disabled: depth === 0, onclick: () => redrive([]) }, 'Redrive all'),
      h('button', { type: 'button', className: 'danger', disabled: depth === 0, onclick: purge }, 'Purge…'),
      h('button', { type: 'button', onclick: refresh }, 'Refresh'),
      h('span', { className: 'muted' }, `${letters.length} of ~${depth} shown, oldest first. Reading is a receive: each receive count includes it.`),
    ),
    letters.length === 0
      ? notice(`The ${consumer} DLQ is empty.`)
      : h(
          'table',
          { 'aria-label': `Dead letters of ${consumer}` },
          h('thead', {}, h('tr', {}, ['Select', 'Event', 'Failure reason', 'Failed attempts', 'Receive count', 'First / last failure', 'Sent'].map((label) => h('th', { scope: 'col' }, label)))),
          h('tbody', {}, rows),
        ),
  );
}

// ---- Traces -------------------------------------------------------------------------------

async function renderSearch(query) {
  const input = document.getElementById('search-query');
  if (document.activeElement !== input) input.value = query;
  const { traces } = await api(`/api/traces?q=${encodeURIComponent(query)}`);
  if (query && traces.length === 1) {
    location.replace(`#/trace/${encodeURIComponent(traces[0].eventId)}`);
    return;
  }
  show(
    query ? `Traces matching “${query}”` : 'Recent event traces',
    traces.length === 0
      ? notice(query ? 'No trace matches: search by event id, correlation id or a value in the event data (an order id).' : 'No events yet: send a request to the API.')
      : h(
          'table',
          {},
          h('thead', {}, h('tr', {}, ['Event', 'Type', 'Correlation id', 'First seen', 'Last activity'].map((label) => h('th', { scope: 'col' }, label)))),
          h('tbody', {}, traces.map((t) => h('tr', {}, h('td', {}, h('a', { className: 'mono', href: `#/trace/${encodeURIComponent(t.eventId)}` }, t.eventId)), h('td', {}, t.eventType ?? '–'), h('td', { className: 'mono' }, t.correlationId ?? '–'), h('td', {}, time(t.firstAt)), h('td', {}, time(t.lastAt))))),
        ),
  );
  // Live: an event searched for before its consumers received it shows up once they have.
  current.rerender = () => renderSearch(query);
}

const STATUS_CLASS = { processed: 'ok', skipped: 'ok', retrying: 'warn', 'dead-lettered': 'bad', failed: 'bad', 'filtered out': 'muted', 'not delivered yet': 'muted' };
const OUTCOME_CLASS = { ok: 'ok', skipped: 'ok', retry: 'warn', 'dead-lettered': 'bad', error: 'bad' };

function stepView(step, start, eventId) {
  const when = h('span', { className: 'when' }, `+${millis(step.at - start)}`);
  const item = (kind, what, ...detail) => h('li', { className: kind, 'data-step': step.kind }, when, h('span', { className: 'what' }, what), detail.length ? h('div', { className: 'detail' }, ...detail) : null);
  switch (step.kind) {
    case 'accepted':
      return item(step.status < 400 ? 'ok' : 'bad', `Accepted: ${step.method} ${step.path} → ${step.status}`, `latency ${millis(step.latencyMs)} · request ${step.requestId}`);
    case 'published':
      return item('ok', `Published by ${step.by}`, 'invocation ', h('a', { href: `#/trace/${encodeURIComponent(eventId)}/logs/${encodeURIComponent(step.lambdaRequestId)}` }, 'function logs'));
    case 'delivered':
      return item('', `Delivered to ${step.consumer}`, `queue ${step.queue}`);
    case 'filtered-out':
      return item('', `Filtered out for ${step.consumer}`, `filter policy ${step.filterPolicy}`);
    case 'attempt': {
      const outcome =
        step.outcome === 'ok' ? 'processed (effect applied)' : step.outcome === 'retry' ? `failed, retry in ${step.backoffSeconds ?? '?'} s${step.attemptsLeft === undefined ? '' : ` (${step.attemptsLeft} left)`}` : step.outcome;
      return item(
        OUTCOME_CLASS[step.outcome],
        `Attempt ${step.attempt} · ${step.consumer}: ${outcome}`,
        `${step.functionName} · ${millis(step.durationMs)} · `,
        h('a', { href: `#/trace/${encodeURIComponent(eventId)}/logs/${encodeURIComponent(step.lambdaRequestId)}` }, 'function logs'),
        step.error ? h('div', { className: 'bad' }, step.error) : null,
      );
    }
    case 'dead-lettered':
      return item('bad', `Dead-lettered · ${step.consumer}`, `in ${step.queue}`, step.error ? ` · ${step.error}` : '', ' · ', h('a', { href: `#/dead-letters/${encodeURIComponent(step.consumer)}` }, 'see dead letters'));
    case 'redrive':
      return item('warn', `Redriven from the ${step.consumer} DLQ`);
    default:
      return item('', step.kind);
  }
}

async function renderTrace(eventId, logsOf) {
  let trace;
  try {
    trace = await api(`/api/traces/${encodeURIComponent(eventId)}`);
  } catch (error) {
    show(`Trace · ${eventId}`, notice(error.message, 'bad'));
    current.rerender = () => renderTrace(eventId, logsOf);
    return;
  }
  const start = trace.steps[0]?.at ?? 0;
  const logs = logsOf ? await api(`/api/invocations/${encodeURIComponent(logsOf)}`).catch((error) => ({ error: error.message })) : null;
  const summary = h(
    'table',
    { 'aria-label': 'Consumers' },
    h('thead', {}, h('tr', {}, ['Consumer', 'Queue', 'Status', 'Attempts', 'Filter policy'].map((label) => h('th', { scope: 'col' }, label)))),
    h('tbody', {}, trace.consumers.map((c) => h('tr', { 'data-consumer': c.consumer }, h('td', {}, c.consumer), h('td', { className: 'mono' }, c.queue), h('td', {}, h('span', { className: `badge ${STATUS_CLASS[c.status]}` }, c.status)), h('td', { className: 'num' }, c.attempts), h('td', { className: 'policy mono' }, c.filterPolicy ?? '–')))),
  );
  const logView = logs
    ? h(
        'section',
        { 'aria-label': 'Function logs' },
        h('h3', {}, logs.error ? 'Function logs' : `Function logs · ${logs.label} · ${time(logs.at)} · ${millis(logs.durationMs)}`),
        logs.error ? notice(logs.error, 'bad') : h('pre', { className: 'logs', tabindex: 0 }, (logs.logs.length ? logs.logs : [{ stream: 'host', text: '(no lines)' }]).map((line) => h('span', { className: line.stream }, `${line.text}\n`))),
        h('a', { href: `#/trace/${encodeURIComponent(eventId)}` }, 'Close logs'),
      )
    : null;
  show(
    `Trace · ${trace.eventType ?? 'event'} ${eventId}`,
    h('p', {}, 'Correlation id ', h('span', { className: 'mono' }, trace.correlationId ?? '–'), ' · ', h('a', { href: trace.link }, 'link to this trace')),
    h('div', { className: `split${logView ? ' with-logs' : ''}` }, h('div', {}, summary, h('h3', {}, 'Timeline'), h('ol', { className: 'timeline', 'aria-label': 'Timeline' }, trace.steps.map((step) => stepView(step, start, eventId)))), logView),
  );
  current.rerender = () => renderTrace(eventId, logsOf);
  current.traceId = eventId;
}

// ---- Routing and live updates -------------------------------------------------------------

function failed(error) {
  main.replaceChildren(notice(`The console could not load this view: ${error.message}`, 'bad'));
}

async function route() {
  const hash = location.hash.replace(/^#\/?/, '') || 'map';
  const [path, query = ''] = hash.split('?');
  const parts = path.split('/').map(decodeURIComponent);
  current = { view: parts[0], rerender: null, traceId: null };
  for (const link of document.querySelectorAll('nav a')) {
    const target = link.getAttribute('href').slice(2);
    if (target === parts[0] || (target === 'traces' && parts[0] === 'trace')) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  try {
    if (parts[0] === 'map') await renderMap();
    else if (parts[0] === 'dead-letters' && parts[1]) await renderDeadLetters(parts[1]);
    else if (parts[0] === 'dead-letters') await renderDeadLetterIndex();
    else if (parts[0] === 'traces') await renderSearch(new URLSearchParams(query).get('q') ?? '');
    else if (parts[0] === 'trace' && parts[1]) await renderTrace(parts[1], parts[2] === 'logs' ? parts[3] : undefined);
    else failed(new Error(`no view ${hash}`));
  } catch (error) {
    failed(error);
  }
  main.focus({ preventScroll: true });
}

document.getElementById('search').addEventListener('submit', (event) => {
  event.preventDefault();
  const query = document.getElementById('search-query').value.trim();
  location.hash = `#/traces?q=${encodeURIComponent(query)}`;
});

function connect() {
  const source = new EventSource('/api/live');
  source.addEventListener('open', () => {
    liveStatus.textContent = 'live';
    liveStatus.classList.add('on');
  });
  source.addEventListener('error', () => {
    liveStatus.textContent = 'reconnecting…';
    liveStatus.classList.remove('on');
  });
  source.addEventListener('stats', (event) => {
    stats = JSON.parse(event.data);
    updateStats();
  });
  let pending = false;
  source.addEventListener('traces', (event) => {
    const { eventIds } = JSON.parse(event.data);
    const rerender = current.rerender;
    if (!rerender || pending) return;
    if (current.traceId !== null && !eventIds.includes(current.traceId)) return;
    // Coalesce bursts: a trace redraws at once, a list at most twice a second.
    pending = true;
    setTimeout(() => {
      pending = false;
      if (current.rerender === rerender) rerender().catch(failed);
    }, current.traceId === null ? 500 : 0);
  });
}

window.addEventListener('hashchange', route);
connect();
route();
