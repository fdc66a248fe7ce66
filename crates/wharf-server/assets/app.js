// The wharf dashboard: a dependency-free single-page client of /api/v1.
//
// No build step, no third-party code (the server may be air-gapped). Every
// value from the API reaches the DOM through textContent or attributes set
// with setAttribute, never through innerHTML. State lives in the URL
// fragment (#/findings?severity=critical&cursor=…), so every view, filter
// and page can be linked to and reloaded.
'use strict';

(() => {
  const TOKEN_KEY = 'wharf.token';
  const SEVERITIES = ['critical', 'high', 'medium', 'low', 'unknown'];
  const KINDS = ['vulnerability', 'secret', 'malware', 'misconfiguration', 'license', 'eol'];
  const STATUSES = ['open', 'accepted', 'not-affected', 'resolved'];
  const JOB_STATES = ['queued', 'running', 'done', 'failed'];
  const VIEWS = {
    overview: { title: 'Overview', render: renderOverview },
    connectors: { title: 'Connectors', render: renderConnectors },
    images: { title: 'Images', render: renderImages },
    findings: { title: 'Findings', render: renderFindings },
    reevaluations: { title: 'Re-evaluations', render: renderReevaluations },
  };
  const PAGE_SIZE = 50;

  const state = {
    token: null,
    caller: null, // { name, role } from /status
    renderSeq: 0,
  };

  const $ = (id) => document.getElementById(id);

  // --- DOM helpers ---------------------------------------------------------

  /**
   * Create an element. `attrs`: `text` (textContent), `testid`
   * (data-testid), `class`, `on<event>` (listeners), `dataset` (object),
   * booleans (set when true) and any other attribute (setAttribute).
   * Children: nodes, strings (text nodes), null/false (skipped) or arrays.
   */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'text') node.textContent = String(value);
      else if (key === 'testid') node.setAttribute('data-testid', value);
      else if (key === 'dataset') {
        for (const [k, v] of Object.entries(value)) {
          if (v !== undefined && v !== null) node.dataset[k] = String(v);
        }
      } else if (key.startsWith('on') && typeof value === 'function') {
        node.addEventListener(key.slice(2), value);
      } else if (value === true) node.setAttribute(key, '');
      else node.setAttribute(key, String(value));
    }
    append(node, children);
    return node;
  }

  function append(node, children) {
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      if (Array.isArray(child)) append(node, child);
      else if (child instanceof Node) node.appendChild(child);
      else node.appendChild(document.createTextNode(String(child)));
    }
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  /** A table: `columns` are { label, class, sort } or strings; `rows` are <tr>s. */
  function table(testid, caption, columns, rows, emptyText) {
    const head = el('tr', {}, columns.map((c) => {
      const col = typeof c === 'string' ? { label: c } : c;
      return el('th', { scope: 'col', class: col.class, 'aria-sort': col.ariaSort }, col.node || col.label);
    }));
    const t = el('table', { testid },
      el('caption', { text: caption }),
      el('thead', {}, head),
      el('tbody', {}, rows));
    if (rows.length === 0) {
      return el('div', {}, t, el('p', { class: 'empty', testid: `${testid}-empty`, text: emptyText }));
    }
    return t;
  }

  function td(value, attrs) {
    if (value instanceof Node) return el('td', attrs || {}, value);
    return el('td', Object.assign({ text: value === null || value === undefined || value === '' ? '—' : value }, attrs || {}));
  }

  function time(seconds) {
    if (seconds === null || seconds === undefined) return el('span', { class: 'muted', text: 'never' });
    const d = new Date(seconds * 1000);
    const iso = d.toISOString();
    return el('time', { datetime: iso, text: `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC` });
  }

  function shortDigest(digest) {
    if (typeof digest !== 'string') return '';
    const [algo, hex] = digest.includes(':') ? digest.split(':', 2) : ['', digest];
    return algo ? `${algo}:${hex.slice(0, 12)}` : hex.slice(0, 12);
  }

  function digestNode(digest) {
    return el('code', { title: digest, text: shortDigest(digest) });
  }

  function severityBadge(severity) {
    const s = SEVERITIES.includes(severity) ? severity : 'unknown';
    return el('span', { class: `badge sev-${s}`, testid: 'severity-badge', text: severity || 'unknown' });
  }

  function yesNo(value) {
    return value ? 'yes' : 'no';
  }

  // --- banners ---------------------------------------------------------------

  function showError(message) {
    const banner = $('error-banner');
    banner.textContent = message;
    banner.hidden = false;
  }

  function clearError() {
    const banner = $('error-banner');
    banner.textContent = '';
    banner.hidden = true;
  }

  function showNotice(message) {
    const banner = $('notice-banner');
    banner.textContent = message;
    banner.hidden = !message;
  }

  // --- API -------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, title, detail) {
      super(detail || title || `HTTP ${status}`);
      this.status = status;
      this.title = title;
      this.detail = detail;
    }
  }

  /** Call the API; throws ApiError with the problem+json detail. */
  async function api(path, options) {
    const opts = options || {};
    const headers = { Accept: 'application/json, application/problem+json' };
    if (state.token) headers.Authorization = `Bearer ${state.token}`;
    const init = { method: opts.method || 'GET', headers, cache: 'no-store', credentials: 'omit' };
    if (opts.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(opts.body);
    }
    let resp;
    try {
      resp = await fetch(`/api/v1${path}`, init);
    } catch (e) {
      throw new ApiError(0, 'Network error', `the server could not be reached (${e.message})`);
    }
    const text = await resp.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch (_) {
        data = null;
      }
    }
    if (!resp.ok) {
      const detail = data && typeof data.detail === 'string' ? data.detail : text || resp.statusText;
      const title = data && typeof data.title === 'string' ? data.title : `HTTP ${resp.status}`;
      throw new ApiError(resp.status, title, detail);
    }
    return data;
  }

  /** Report a failure: 401 goes back to the token form, anything else to the banner. */
  function fail(error) {
    if (error instanceof ApiError && error.status === 401) {
      forgetToken();
      showTokenForm();
      showError(`Unauthorized: ${error.detail}`);
      return;
    }
    if (error instanceof ApiError) showError(`${error.title}: ${error.detail}`);
    else showError(`Error: ${error && error.message ? error.message : String(error)}`);
  }

  // --- token -------------------------------------------------------------------

  function storedToken() {
    try {
      return window.localStorage.getItem(TOKEN_KEY);
    } catch (_) {
      return null;
    }
  }

  function rememberToken(token) {
    state.token = token;
    state.caller = null;
    try {
      window.localStorage.setItem(TOKEN_KEY, token);
    } catch (_) {
      // Private mode: keep it for this page only.
    }
  }

  function forgetToken() {
    state.token = null;
    state.caller = null;
    try {
      window.localStorage.removeItem(TOKEN_KEY);
    } catch (_) {
      // nothing stored
    }
  }

  /**
   * Take a token from the fragment (`#token=…`, `#token=…&view=findings`
   * or `#/findings?token=…`), store it and remove it from the address bar
   * (and from history) before anything else runs.
   */
  function takeTokenFromFragment() {
    const raw = window.location.hash.replace(/^#/, '');
    if (!raw.includes('token=')) return;
    let path = '';
    let query = raw;
    if (raw.startsWith('/')) {
      const q = raw.indexOf('?');
      path = q < 0 ? raw : raw.slice(0, q);
      query = q < 0 ? '' : raw.slice(q + 1);
    }
    const params = new URLSearchParams(query);
    const token = params.get('token');
    params.delete('token');
    if (!path) {
      path = `/${params.get('view') || 'overview'}`;
      params.delete('view');
    }
    if (token) rememberToken(token.trim());
    const rest = params.toString();
    const url = `${window.location.pathname}${window.location.search}#${path}${rest ? `?${rest}` : ''}`;
    window.history.replaceState(null, '', url);
  }

  function showTokenForm() {
    $('token-section').hidden = false;
    $('nav').hidden = true;
    $('who').hidden = true;
    const view = $('view');
    clear(view);
    view.dataset.view = 'token';
    view.dataset.state = 'ready';
    document.title = 'Sign in · wharf';
    const input = $('token-input');
    input.value = '';
    input.focus();
  }

  function hideTokenForm() {
    $('token-section').hidden = true;
    $('nav').hidden = false;
  }

  // --- routing -----------------------------------------------------------------

  /** `#/findings/12?kev=true` → { view: 'findings', arg: '12', params }. */
  function route() {
    const raw = window.location.hash.replace(/^#\/?/, '');
    const q = raw.indexOf('?');
    const path = q < 0 ? raw : raw.slice(0, q);
    const params = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
    const [view, arg] = path.split('/').filter(Boolean).map(decodeURIComponent);
    return { view: VIEWS[view] ? view : 'overview', arg: arg || null, params };
  }

  function hashFor(view, params, arg) {
    const entries = [...params.entries()].filter(([, v]) => v !== '' && v !== null && v !== undefined);
    const query = new URLSearchParams(entries).toString();
    return `#/${view}${arg ? `/${encodeURIComponent(arg)}` : ''}${query ? `?${query}` : ''}`;
  }

  async function render() {
    const seq = ++state.renderSeq;
    if (!state.token) {
      showTokenForm();
      return;
    }
    hideTokenForm();
    const r = route();
    const view = $('view');
    view.dataset.view = r.view;
    view.dataset.state = 'loading';
    view.setAttribute('aria-busy', 'true');
    for (const a of document.querySelectorAll('#nav a')) {
      if (a.dataset.view === r.view) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    document.title = `${VIEWS[r.view].title} · wharf`;
    try {
      // Who is signed in (admin or viewer) decides what the views offer;
      // the overview reads it from the same /status call it shows.
      if (!state.caller && r.view !== 'overview') {
        const status = await api('/status');
        state.caller = status.caller || null;
      }
      const content = await VIEWS[r.view].render(r);
      if (seq !== state.renderSeq) return; // a newer navigation won
      clearError();
      clear(view);
      append(view, [content]);
      const who = $('who-name');
      who.textContent = state.caller ? `${state.caller.name} (${state.caller.role})` : '';
      $('who').hidden = !state.caller;
      view.dataset.state = 'ready';
    } catch (e) {
      if (seq !== state.renderSeq) return;
      clear(view);
      view.dataset.state = 'error';
      fail(e);
    } finally {
      if (seq === state.renderSeq) view.removeAttribute('aria-busy');
    }
  }

  function isAdmin() {
    return Boolean(state.caller && state.caller.role === 'admin');
  }

  // --- Overview ------------------------------------------------------------------

  async function renderOverview() {
    const s = await api('/status');
    state.caller = s.caller || state.caller;

    const facts = el('dl', { class: 'facts', testid: 'status-facts' },
      el('dt', { text: 'Version' }), el('dd', { id: 'status-version', testid: 'status-version', text: s.version }),
      el('dt', { text: 'Backend' }), el('dd', { id: 'status-backend', testid: 'status-backend', text: s.backend }),
      el('dt', { text: 'Vulnerability database' }),
      el('dd', { id: 'status-snapshot', testid: 'status-snapshot', text: s.snapshot_id || 'not loaded' }),
      el('dt', { text: 'Scanner' }), el('dd', { testid: 'status-scanner', text: s.scanner || '—' }),
      el('dt', { text: 'Signed in as' }),
      el('dd', { testid: 'status-caller', text: s.caller ? `${s.caller.name} (${s.caller.role})` : '—' }));

    // Queue: kinds × states, with totals per state.
    const jobs = Array.isArray(s.jobs) ? s.jobs : [];
    const kinds = [...new Set(jobs.map((j) => j.kind))].sort();
    const states = [...JOB_STATES, ...new Set(jobs.map((j) => j.state).filter((x) => !JOB_STATES.includes(x)))];
    const count = (kind, st) => jobs
      .filter((j) => (kind === null || j.kind === kind) && j.state === st)
      .reduce((n, j) => n + Number(j.count || 0), 0);
    const queueRows = kinds.map((k) => el('tr', { testid: 'queue-row', dataset: { kind: k } },
      el('th', { scope: 'row', text: k }),
      states.map((st) => td(String(count(k, st)), { class: 'num', dataset: { state: st } }))));
    const totalRow = el('tr', { testid: 'queue-total' },
      el('th', { scope: 'row', text: 'All jobs' }),
      states.map((st) => td(String(count(null, st)), { class: 'num', testid: 'queue-count', dataset: { state: st } })));
    const queue = table('queue-table', 'Job queue by state',
      ['Kind', ...states.map((st) => ({ label: st, class: 'num' }))], [...queueRows, totalRow], '');

    // Open findings by severity.
    const findings = Array.isArray(s.findings) ? s.findings : [];
    const bySeverity = (sev) => findings.filter((f) => f.severity === sev).reduce((n, f) => n + Number(f.count || 0), 0);
    const extra = [...new Set(findings.map((f) => f.severity).filter((x) => !SEVERITIES.includes(x)))];
    const cards = el('ul', { class: 'cards', testid: 'severity-counts' },
      [...SEVERITIES, ...extra].map((sev) => el('li', { testid: 'severity-count', dataset: { severity: sev } },
        el('a', { href: hashFor('findings', new URLSearchParams({ severity: sev })) },
          el('span', { class: 'count', text: String(bySeverity(sev)) }),
          severityBadge(sev)))));
    const total = findings.reduce((n, f) => n + Number(f.count || 0), 0);

    return el('section', { id: 'overview', testid: 'overview', 'aria-labelledby': 'overview-h' },
      el('h1', { id: 'overview-h', text: 'Overview' }),
      el('div', { class: 'panel' }, facts),
      el('h2', { text: 'Open findings by severity' }),
      el('p', { class: 'muted', testid: 'findings-total', text: `${total} unresolved finding${total === 1 ? '' : 's'}` }),
      cards,
      el('h2', { text: 'Queue' }),
      queue);
  }

  // --- Connectors ----------------------------------------------------------------

  function scopeText(scope) {
    if (!scope || !scope.kind) return 'all tags';
    switch (scope.kind) {
      case 'all': return 'all tags';
      case 'latest_tag': return 'latest tag per repository';
      case 'modified_days': return `modified in the last ${scope.days} day${scope.days === 1 ? '' : 's'}`;
      default: return scope.kind;
    }
  }

  async function renderConnectors() {
    const data = await api('/connectors');
    const items = Array.isArray(data.items) ? data.items : [];
    const admin = isAdmin();
    const rows = items.map((c) => el('tr', { testid: 'connector-row', dataset: { connectorId: c.id, name: c.name } },
      td(c.name, { testid: 'connector-name' }),
      td(el('code', { text: c.url })),
      td(c.mode),
      td(scopeText(c.scope), { testid: 'connector-scope' }),
      td(yesNo(c.enabled), { testid: 'connector-enabled' }),
      td(time(c.last_discovery_at)),
      td(c.last_error ? c.last_error : 'none', { testid: 'connector-error', class: c.last_error ? undefined : 'muted' }),
      admin ? td(el('button', {
        type: 'button',
        class: 'secondary',
        testid: 'discover-button',
        'aria-label': `Discover ${c.name} now`,
        text: 'Discover now',
        onclick: (ev) => discover(ev.currentTarget, c),
      })) : null));
    const columns = ['Name', 'URL', 'Mode', 'Scope', 'Enabled', 'Last discovery', 'Last error'];
    if (admin) columns.push({ label: 'Actions' });
    return el('section', { id: 'connectors', testid: 'connectors', 'aria-labelledby': 'connectors-h' },
      el('h1', { id: 'connectors-h', text: 'Connectors' }),
      table('connectors-table', `${items.length} connector${items.length === 1 ? '' : 's'}`, columns, rows,
        'No connectors yet.'),
      admin ? connectorForm() : el('p', { class: 'muted', text: 'Adding connectors needs an admin token.' }));
  }

  async function discover(button, c) {
    button.disabled = true;
    try {
      const r = await api(`/connectors/${encodeURIComponent(c.id)}/discover`, { method: 'POST' });
      showNotice(r && r.already_queued
        ? `Discovery of ${c.name} is already queued.`
        : `Discovery of ${c.name} queued (job ${r && r.job !== undefined ? r.job : '?'}).`);
      clearError();
    } catch (e) {
      fail(e);
    } finally {
      button.disabled = false;
    }
  }

  function globs(text) {
    return String(text || '').split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
  }

  function field(label, input, hint) {
    return el('label', { for: input.id }, label, input, hint ? el('span', { class: 'muted', text: hint }) : null);
  }

  function connectorForm() {
    const input = (id, attrs) => el('input', Object.assign({ id, name: id.replace(/^cf-/, '') }, attrs));
    const name = input('cf-name', { type: 'text', required: true, autocomplete: 'off' });
    const url = input('cf-url', { type: 'url', required: true, placeholder: 'https://registry.example.com' });
    const username = input('cf-username', { type: 'text', autocomplete: 'off' });
    const secretKind = el('select', { id: 'cf-secret-kind', name: 'secret_kind' },
      el('option', { value: 'password', text: 'Password' }),
      el('option', { value: 'token', text: 'Token' }));
    const secret = input('cf-secret', { type: 'password', autocomplete: 'new-password' });
    const insecure = input('cf-insecure', { type: 'checkbox' });
    const scopeKind = el('select', { id: 'cf-scope', name: 'scope' },
      el('option', { value: 'all', text: 'All tags' }),
      el('option', { value: 'latest_tag', text: 'Latest tag per repository' }),
      el('option', { value: 'modified_days', text: 'Modified in the last N days' }));
    const days = input('cf-days', { type: 'number', min: 0, max: 90, value: 30 });
    const repoInclude = input('cf-repo-include', { type: 'text', placeholder: 'team/*' });
    const repoExclude = input('cf-repo-exclude', { type: 'text' });
    const tagInclude = input('cf-tag-include', { type: 'text' });
    const tagExclude = input('cf-tag-exclude', { type: 'text', placeholder: '*-rc*' });
    const submit = el('button', { type: 'submit', testid: 'connector-submit', text: 'Add connector' });

    const form = el('form', { id: 'connector-form', testid: 'connector-form', class: 'grid', 'aria-labelledby': 'connector-form-h' },
      field('Name', name),
      field('Registry URL', url),
      field('Username', username),
      field('Secret kind', secretKind),
      field('Password or token', secret, 'write-only: never shown again'),
      el('label', { class: 'inline', for: 'cf-insecure' }, insecure, 'Insecure (skip TLS verification, allow HTTP)'),
      field('Initial scan scope', scopeKind),
      field('Days (for "modified in the last N days")', days),
      field('Include repositories (globs)', repoInclude),
      field('Exclude repositories (globs)', repoExclude),
      field('Include tags (globs)', tagInclude),
      field('Exclude tags (globs)', tagExclude),
      el('div', {}, submit));

    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const scope = scopeKind.value === 'modified_days'
        ? { kind: 'modified_days', days: Number(days.value) }
        : { kind: scopeKind.value };
      const body = {
        name: name.value.trim(),
        url: url.value.trim(),
        insecure: insecure.checked,
        scope,
        repositories: { include: globs(repoInclude.value), exclude: globs(repoExclude.value) },
        tags: { include: globs(tagInclude.value), exclude: globs(tagExclude.value) },
      };
      if (username.value.trim()) body.username = username.value.trim();
      if (secret.value) body[secretKind.value === 'token' ? 'token' : 'password'] = secret.value;
      submit.disabled = true;
      try {
        const c = await api('/connectors', { method: 'POST', body });
        // The secret leaves the page as soon as it is stored.
        secret.value = '';
        form.reset();
        showNotice(`Connector ${c && c.name ? c.name : body.name} added; its first discovery is queued.`);
        await render();
      } catch (e) {
        fail(e);
      } finally {
        submit.disabled = false;
      }
    });

    return el('section', { class: 'panel', 'aria-labelledby': 'connector-form-h' },
      el('h2', { id: 'connector-form-h', text: 'Add a connector' }),
      form);
  }

  // --- Images ------------------------------------------------------------------

  async function renderImages(r) {
    const st = r.params.get('state') || '';
    // The image listing leaves `references` empty (only /images/{digest}
    // fills them): join the tag listing instead of one request per image.
    const [data, tags] = await Promise.all([
      api(`/images${st ? `?state=${encodeURIComponent(st)}` : ''}`),
      api('/tags'),
    ]);
    const items = Array.isArray(data.items) ? data.items : [];
    const refs = new Map();
    for (const t of Array.isArray(tags.items) ? tags.items : []) {
      if (!refs.has(t.digest)) refs.set(t.digest, new Set());
      refs.get(t.digest).add(`${t.repository}:${t.name}`);
    }
    const referencesOf = (img) => {
      const all = new Set(Array.isArray(img.references) ? img.references : []);
      for (const r of refs.get(img.digest) || []) all.add(r);
      return [...all].sort();
    };
    const select = el('select', { id: 'images-state', name: 'state' },
      el('option', { value: '', text: 'any' }),
      ['discovered', 'queued', 'scanned', 'failed'].map((s) => el('option', { value: s, text: s, selected: s === st })));
    select.addEventListener('change', () => {
      window.location.hash = hashFor('images', new URLSearchParams({ state: select.value }));
    });
    const rows = items.map((img) => el('tr', { testid: 'image-row', dataset: { digest: img.digest, scanState: img.scan_state } },
      td(digestNode(img.digest), { testid: 'image-digest' }),
      td(referencesOf(img).length
        ? el('ul', { class: 'plain', testid: 'image-references' }, referencesOf(img).map((ref) => el('li', {}, el('code', { text: ref }))))
        : el('span', { class: 'muted', text: 'untagged' })),
      td((img.platforms || []).map((p) => p.platform).join(', ') || '—'),
      td(el('span', { class: 'badge state', text: img.scan_state }),
        { title: img.scan_error || undefined, testid: 'image-state' }),
      td(img.scanned_at ? time(img.scanned_at) : el('span', { class: 'muted', text: 'not yet' }))));
    return el('section', { id: 'images', testid: 'images', 'aria-labelledby': 'images-h' },
      el('h1', { id: 'images-h', text: 'Images' }),
      el('form', { class: 'filters', onsubmit: (e) => e.preventDefault() }, field('Scan state', select)),
      table('images-table', `${items.length} image${items.length === 1 ? '' : 's'}`,
        ['Digest', 'References', 'Platforms', 'Scan state', 'Scanned at'], rows, 'No images discovered yet.'));
  }

  // --- Findings ------------------------------------------------------------------

  const FINDING_FILTERS = ['severity', 'kind', 'status', 'kev', 'sort', 'limit'];

  async function renderFindings(r) {
    const p = r.params;
    const query = new URLSearchParams();
    for (const key of [...FINDING_FILTERS, 'cursor']) {
      const v = p.get(key);
      if (v) query.set(key, v);
    }
    if (query.get('kev') && query.get('kev') !== 'true') query.delete('kev');
    if (!query.get('limit')) query.set('limit', String(PAGE_SIZE));
    const page = await api(`/findings?${query.toString()}`);
    const items = Array.isArray(page.items) ? page.items : [];
    const sort = p.get('sort') || 'severity';

    // Filters (a GET-style form: submitting navigates).
    const chosen = new Set((p.get('severity') || '').split(',').filter(Boolean));
    const sevBoxes = SEVERITIES.map((s) => el('label', { class: 'inline', for: `ff-sev-${s}` },
      el('input', { type: 'checkbox', id: `ff-sev-${s}`, name: 'severity', value: s, checked: chosen.has(s) }), s));
    const kind = el('select', { id: 'ff-kind', name: 'kind' },
      el('option', { value: '', text: 'any' }),
      KINDS.map((k) => el('option', { value: k, text: k, selected: p.get('kind') === k })));
    const status = el('select', { id: 'ff-status', name: 'status' },
      el('option', { value: '', text: 'unresolved' }),
      STATUSES.map((s) => el('option', { value: s, text: s, selected: p.get('status') === s })));
    const kev = el('input', { type: 'checkbox', id: 'ff-kev', name: 'kev', checked: p.get('kev') === 'true' });
    const sortSel = el('select', { id: 'ff-sort', name: 'sort' },
      el('option', { value: 'severity', text: 'severity', selected: sort === 'severity' }),
      el('option', { value: 'first_seen', text: 'first seen (newest first)', selected: sort === 'first_seen' }));
    const filters = el('form', { id: 'findings-filters', testid: 'findings-filters', class: 'filters', 'aria-label': 'Filter findings' },
      el('fieldset', {}, el('legend', { text: 'Severity' }), sevBoxes),
      field('Kind', kind),
      field('Status', status),
      el('label', { class: 'inline', for: 'ff-kev' }, kev, 'Known exploited (KEV) only'),
      field('Sort by', sortSel),
      el('div', {}, el('button', { type: 'submit', text: 'Apply' })));
    filters.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const next = new URLSearchParams();
      const sevs = sevBoxes.map((l) => l.querySelector('input')).filter((i) => i.checked).map((i) => i.value);
      if (sevs.length) next.set('severity', sevs.join(','));
      if (kind.value) next.set('kind', kind.value);
      if (status.value) next.set('status', status.value);
      if (kev.checked) next.set('kev', 'true');
      if (sortSel.value !== 'severity') next.set('sort', sortSel.value);
      if (p.get('limit')) next.set('limit', p.get('limit'));
      window.location.hash = hashFor('findings', next);
    });

    // Sortable headers: a button that re-sorts from the first page.
    const sortHeader = (key, label) => {
      const params = new URLSearchParams(p);
      params.delete('cursor');
      if (key === 'severity') params.delete('sort');
      else params.set('sort', key);
      return {
        ariaSort: sort === key ? 'descending' : undefined,
        node: el('button', {
          type: 'button',
          class: 'sort',
          testid: `sort-${key}`,
          text: `${label}${sort === key ? ' ▼' : ''}`,
          onclick: () => { window.location.hash = hashFor('findings', params); },
        }),
      };
    };

    const rows = items.map((f) => el('tr', {
      testid: 'finding-row',
      dataset: { findingId: f.id, severity: f.severity, kev: f.kev ? 'true' : 'false', kind: f.kind, status: f.status },
    },
    td(severityBadge(f.severity)),
    td(f.title, { testid: 'finding-title' }),
    td(f.vulnerability, { testid: 'finding-vulnerability' }),
    td(f.package ? el('code', { text: f.package }) : null, { testid: 'finding-package' }),
    td(digestNode(f.image_digest), { testid: 'finding-image' }),
    td(time(f.first_seen)),
    td(f.kev ? el('span', { class: 'badge kev', testid: 'kev-flag', title: 'On CISA\'s known exploited vulnerabilities list', text: 'KEV' }) : '', { testid: 'finding-kev' })));

    const pager = el('nav', { class: 'pager', 'aria-label': 'Findings pages', testid: 'findings-pager' });
    if (p.get('cursor')) {
      const first = new URLSearchParams(p);
      first.delete('cursor');
      pager.appendChild(el('a', { class: 'button secondary', href: hashFor('findings', first), testid: 'findings-first', text: 'First page' }));
    }
    if (page.next_cursor) {
      const next = new URLSearchParams(p);
      next.set('cursor', page.next_cursor);
      pager.appendChild(el('a', {
        class: 'button',
        href: hashFor('findings', next),
        testid: 'findings-next',
        dataset: { cursor: page.next_cursor },
        text: 'Next',
      }));
    }

    return el('section', { id: 'findings', testid: 'findings', 'aria-labelledby': 'findings-h' },
      el('h1', { id: 'findings-h', text: 'Findings' }),
      filters,
      table('findings-table', `${items.length} finding${items.length === 1 ? '' : 's'} on this page`, [
        sortHeader('severity', 'Severity'), 'Title', 'Vulnerability', 'Package', 'Image',
        sortHeader('first_seen', 'First seen'), 'KEV',
      ], rows, 'No findings match.'),
      pager);
  }

  // --- Re-evaluations --------------------------------------------------------------

  function runCells(run) {
    return [
      td(run.cause),
      td(run.state, { testid: 'reevaluation-state' }),
      td(run.snapshot_id ? el('code', { text: run.snapshot_id }) : null),
      td(time(run.started_at)),
      td(run.finished_at ? time(run.finished_at) : el('span', { class: 'muted', text: 'running' })),
      td(String(run.inventories), { class: 'num', testid: 'reevaluation-inventories' }),
      td(String(run.new_findings), { class: 'num', testid: 'reevaluation-new' }),
      td(String(run.resolved_findings), { class: 'num', testid: 'reevaluation-resolved' }),
      td(String(run.changed_findings), { class: 'num', testid: 'reevaluation-changed' }),
      td(run.error || '', { testid: 'reevaluation-error' }),
    ];
  }

  const RUN_COLUMNS = ['Cause', 'State', 'Database snapshot', 'Started', 'Finished',
    { label: 'Inventories', class: 'num' }, { label: 'New', class: 'num' },
    { label: 'Resolved', class: 'num' }, { label: 'Severity changed', class: 'num' }, 'Error'];

  async function renderReevaluations(r) {
    if (r.arg) return renderReevaluation(r.arg);
    const data = await api('/reevaluations');
    const items = Array.isArray(data.items) ? data.items : [];
    const rows = items.map((run) => {
      const href = `#/reevaluations/${encodeURIComponent(run.id)}`;
      const row = el('tr', { class: 'clickable', testid: 'reevaluation-row', dataset: { runId: run.id } },
        td(el('a', { href, testid: 'reevaluation-link', text: `#${run.id}` })),
        runCells(run));
      row.addEventListener('click', (ev) => {
        if (ev.target instanceof Element && ev.target.closest('a')) return;
        window.location.hash = href;
      });
      return row;
    });
    const trigger = isAdmin() ? el('p', {}, el('button', {
      type: 'button',
      testid: 'reevaluate-button',
      text: 'Re-evaluate everything now',
      onclick: async (ev) => {
        const b = ev.currentTarget;
        b.disabled = true;
        try {
          const res = await api('/reevaluations', { method: 'POST' });
          showNotice(res && res.already_queued ? 'A re-evaluation is already queued.' : 'Re-evaluation queued.');
          clearError();
        } catch (e) {
          fail(e);
        } finally {
          b.disabled = false;
        }
      },
    })) : null;
    return el('section', { id: 'reevaluations', testid: 'reevaluations', 'aria-labelledby': 'reevaluations-h' },
      el('h1', { id: 'reevaluations-h', text: 'Re-evaluations' }),
      trigger,
      table('reevaluations-table', `${items.length} run${items.length === 1 ? '' : 's'} (newest first; select one for its changes)`,
        ['Run', ...RUN_COLUMNS], rows, 'No re-evaluation has run yet.'));
  }

  async function renderReevaluation(id) {
    const data = await api(`/reevaluations/${encodeURIComponent(id)}`);
    const run = data.run || {};
    const deltas = Array.isArray(data.deltas) ? data.deltas : [];
    const summary = table('reevaluation-summary', `Run #${run.id}`, RUN_COLUMNS,
      [el('tr', { testid: 'reevaluation-summary-row', dataset: { runId: run.id } }, runCells(run))], '');
    const sev = (s) => (s ? severityBadge(s) : el('span', { class: 'muted', text: '—' }));
    const rows = deltas.map((d) => el('tr', { testid: 'delta-row', dataset: { findingId: d.finding_id, change: d.change } },
      td(String(d.finding_id), { class: 'num' }),
      td(String(d.change).replace(/_/g, ' '), { testid: 'delta-change' }),
      td(sev(d.old_severity)),
      td(sev(d.new_severity))));
    return el('section', { id: 'reevaluation', testid: 'reevaluation-detail', 'aria-labelledby': 'reevaluation-h', dataset: { runId: run.id } },
      el('p', {}, el('a', { href: '#/reevaluations', text: '← All re-evaluations' })),
      el('h1', { id: 'reevaluation-h', text: `Re-evaluation #${run.id}` }),
      summary,
      el('h2', { text: `${deltas.length} change${deltas.length === 1 ? '' : 's'}` }),
      table('deltas-table', 'Finding changes in this run',
        [{ label: 'Finding', class: 'num' }, 'Change', 'Severity before', 'Severity after'], rows,
        'This run changed nothing.'));
  }

  // --- start -----------------------------------------------------------------------

  function start() {
    takeTokenFromFragment();
    if (!state.token) state.token = storedToken();

    $('token-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const value = $('token-input').value.trim();
      $('token-input').value = '';
      if (!value) return;
      rememberToken(value);
      clearError();
      render();
    });
    $('sign-out').addEventListener('click', () => {
      forgetToken();
      showNotice('');
      clearError();
      showTokenForm();
    });
    window.addEventListener('hashchange', () => {
      if (window.location.hash.includes('token=')) takeTokenFromFragment();
      showNotice('');
      render();
    });
    render();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
