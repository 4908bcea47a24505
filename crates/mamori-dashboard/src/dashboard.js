// The dashboard's only script. It reads the embedded JSON, draws the charts as inline SVG
// and keeps the filter state in the URL fragment (#search=…&severity=…&finding=…), so that a
// view can be linked to and reloaded. Every value from the data is escaped before it enters
// markup, or set as text.
(function () {
  'use strict';

  var data = JSON.parse(document.getElementById('dashboard-data').textContent);
  var SEVERITIES = ['critical', 'high', 'medium', 'low', 'informational'];
  var SEVERITY_LABELS = { critical: 'Critical', high: 'High', medium: 'Medium', low: 'Low', informational: 'Informational' };
  var STATUSES = ['FAIL', 'ERROR', 'MUTED'];
  var DEFAULT_PAGE_SIZE = 50;
  var KEYS = ['search', 'severity', 'status', 'account', 'group', 'finding', 'page', 'size'];

  var accountsById = {};
  data.accounts.forEach(function (account) { accountsById[account.id] = account; });
  var findingsById = {};
  data.findings.forEach(function (finding) { findingsById[finding.id] = finding; });

  var state = { search: '', severity: '', status: '', account: '', group: '', finding: '', page: 1, size: DEFAULT_PAGE_SIZE };
  var filtered = data.findings;

  function $(id) { return document.getElementById(id); }

  function esc(value) {
    return String(value === null || value === undefined ? '' : value).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }

  function thousands(n) {
    return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  }

  // Counts by severity list only the severities with failures.
  function failing(bySeverity, severity) {
    return bySeverity[severity] || 0;
  }

  function when(text) {
    if (!text) { return '—'; }
    return String(text).replace('T', ' ').replace(/Z$/, ' UTC');
  }

  function rule(id) {
    return data.rules[id] || { title: id, group: 'other', rationale: '', remediation: '', references: [] };
  }

  function accountLabel(id) {
    var account = accountsById[id];
    return account && account.name ? account.name + ' (' + id + ')' : id;
  }

  // Colour-blind-safe diverging palette (ColorBrewer PuOr): purple is compliant, orange is not.
  function heatStyle(score) {
    if (score === null || score === undefined) { return 'background:#dfe2e6;color:#4a5360'; }
    if (score >= 100) { return 'background:#542788;color:#fff'; }
    if (score >= 95) { return 'background:#8073ac;color:#fff'; }
    if (score >= 85) { return 'background:#b2abd2;color:#1b2430'; }
    if (score >= 70) { return 'background:#fdb863;color:#1b2430'; }
    if (score >= 50) { return 'background:#e08214;color:#1b2430'; }
    return 'background:#b35806;color:#fff';
  }

  // ---- header and key figures ----

  function renderHeader() {
    var run = data.run;
    $('org-name').textContent = data.organization;
    $('run-id').textContent = run.id;
    $('run-scope').textContent = run.scope || '—';
    $('run-time').textContent = when(run.finishedAt || run.startedAt);
    $('generated-at').textContent = when(data.generatedAt);

    var score = $('org-score');
    score.textContent = run.scoreText;
    score.setAttribute('data-value', run.score === null ? '' : String(run.score));

    var previous = null;
    for (var i = data.trend.length - 1; i >= 0; i--) {
      if (data.trend[i].score !== null) { previous = data.trend[i]; break; }
    }
    var delta = $('score-delta');
    if (previous && run.score !== null) {
      var change = Math.round((run.score - previous.score) * 10) / 10;
      var direction = change > 0 ? 'up' : change < 0 ? 'down' : 'flat';
      var arrow = change > 0 ? '▲ ' : change < 0 ? '▼ ' : '● ';
      delta.className = 'delta ' + direction;
      delta.textContent = arrow + (change > 0 ? '+' : '') + change.toFixed(1) + ' pts vs ' + previous.runId;
      delta.setAttribute('data-value', change.toFixed(1));
    } else {
      delta.className = 'delta flat';
      delta.textContent = 'first run';
    }

    var checks = run.checks;
    var total = checks.pass + checks.fail + checks.error + checks.muted;
    $('checks-total').textContent = thousands(total);
    $('checks-total').setAttribute('data-value', String(total));
    var colours = { PASS: 'var(--pass)', FAIL: 'var(--fail)', ERROR: 'var(--error)', MUTED: 'var(--mutedc)' };
    $('status-list').innerHTML = ['PASS', 'FAIL', 'ERROR', 'MUTED'].map(function (status) {
      var count = checks[status.toLowerCase()];
      return '<li data-testid="checks-' + status.toLowerCase() + '" data-value="' + count + '"><span><i class="dot" style="background:' +
        colours[status] + '"></i>' + status + '</span><span class="count">' + thousands(count) + '</span></li>';
    }).join('');

    $('severity-list').innerHTML = SEVERITIES.map(function (severity) {
      var count = failing(run.failingBySeverity, severity);
      return '<li data-testid="sev-count-' + severity + '" data-value="' + count + '"><span><i class="dot" style="background:var(--' +
        severity + ')"></i>' + SEVERITY_LABELS[severity] + '</span><span class="count' + (count ? '' : ' zero') + '">' +
        thousands(count) + '</span></li>';
    }).join('');

    $('accounts-count').textContent = thousands(run.accounts);
    $('accounts-count').setAttribute('data-value', String(run.accounts));
    $('regions-count').textContent = thousands(run.regions);
    $('regions-count').setAttribute('data-value', String(run.regions));
    var failingRules = {};
    data.findings.forEach(function (finding) { if (finding.status === 'FAIL') { failingRules[finding.ruleId] = true; } });
    var ruleCount = Object.keys(failingRules).length;
    $('rules-count').textContent = thousands(ruleCount);
    $('rules-count').setAttribute('data-value', String(ruleCount));
  }

  // ---- charts ----

  function renderTrend() {
    var run = data.run;
    var points = data.trend.map(function (point) {
      return { runId: point.runId, at: point.at, score: point.score, scoreText: point.scoreText, fail: point.checks.fail, current: false };
    });
    points.push({ runId: run.id, at: run.finishedAt || run.startedAt || data.generatedAt, score: run.score, scoreText: run.scoreText, fail: run.checks.fail, current: true });

    var width = 640, height = 240, left = 44, right = 20, top = 18, bottom = 40, inset = 40;
    var plotW = width - left - right, plotH = height - top - bottom;
    var scores = points.filter(function (p) { return p.score !== null; }).map(function (p) { return p.score; });
    var low = scores.length ? Math.max(0, Math.floor((Math.min.apply(null, scores) - 5) / 10) * 10) : 0;
    var maxFail = Math.max.apply(null, points.map(function (p) { return p.fail; }).concat([1]));
    // Points keep clear of the axis labels and the right edge, so their labels fit.
    var step = points.length > 1 ? (plotW - 2 * inset) / (points.length - 1) : 0;
    function x(i) { return points.length > 1 ? left + inset + i * step : left + plotW / 2; }
    function y(score) { return top + plotH - (score - low) / (100 - low) * plotH; }

    var svg = ['<svg viewBox="0 0 ' + width + ' ' + height + '" role="img" aria-label="Organization score per run">'];
    for (var g = 0; g <= 4; g++) {
      var value = low + (100 - low) * g / 4;
      var gy = y(value);
      svg.push('<line class="gridline" x1="' + left + '" x2="' + (width - right) + '" y1="' + gy + '" y2="' + gy + '"/>');
      svg.push('<text x="' + (left - 6) + '" y="' + (gy + 4) + '" text-anchor="end">' + Math.round(value) + '%</text>');
    }
    var barW = Math.max(6, Math.min(28, (points.length > 1 ? step : plotW) * 0.4));
    points.forEach(function (p, i) {
      var h = p.fail / maxFail * plotH * 0.45;
      svg.push('<rect class="failbar" x="' + (x(i) - barW / 2) + '" y="' + (top + plotH - h) + '" width="' + barW + '" height="' + h +
        '"><title>' + esc(p.runId) + ': ' + thousands(p.fail) + ' failing checks</title></rect>');
    });
    var line = [];
    points.forEach(function (p, i) { if (p.score !== null) { line.push(x(i) + ',' + y(p.score)); } });
    if (line.length > 1) {
      var firstX = line[0].split(',')[0], lastX = line[line.length - 1].split(',')[0];
      svg.push('<polygon class="area" points="' + firstX + ',' + (top + plotH) + ' ' + line.join(' ') + ' ' + lastX + ',' + (top + plotH) + '"/>');
      svg.push('<polyline class="line" points="' + line.join(' ') + '"/>');
    }
    var labelEvery = Math.max(1, Math.ceil(points.length / 8));
    points.forEach(function (p, i) {
      if (p.score !== null) {
        svg.push('<circle data-testid="trend-point" data-run="' + esc(p.runId) + '" data-value="' + p.score + '" class="point' +
          (p.current ? ' current' : '') + '" cx="' + x(i) + '" cy="' + y(p.score) + '" r="' + (p.current ? 5.5 : 4) + '"><title>' +
          esc(p.runId) + ' · ' + esc(when(p.at)) + ' · score ' + esc(p.scoreText) + ' · ' + thousands(p.fail) + ' failing</title></circle>');
        if (p.current || points.length <= 8) {
          svg.push('<text class="value" x="' + x(i) + '" y="' + (y(p.score) - 10) + '" text-anchor="middle">' + esc(p.scoreText) + '</text>');
        }
      }
      if (i % labelEvery === 0 || p.current) {
        svg.push('<text x="' + x(i) + '" y="' + (height - bottom + 16) + '" text-anchor="middle">' + esc(String(p.at || '').slice(0, 10)) + '</text>');
        svg.push('<text x="' + x(i) + '" y="' + (height - bottom + 30) + '" text-anchor="middle">' + esc(p.runId) + '</text>');
      }
    });
    svg.push('</svg>');
    $('trend-chart').innerHTML = svg.join('');
    $('trend-caption').textContent = points.length > 1
      ? points.length + ' runs · line: score · bars: failing checks'
      : 'first run: the trend starts here';
  }

  function renderSeverityChart() {
    var counts = data.run.failingBySeverity;
    var width = 460, rowH = 36, left = 110, right = 60, top = 6;
    var height = top * 2 + rowH * SEVERITIES.length;
    var max = Math.max.apply(null, SEVERITIES.map(function (s) { return failing(counts, s); }).concat([1]));
    var svg = ['<svg viewBox="0 0 ' + width + ' ' + height + '" role="img" aria-label="Failing checks by severity">'];
    SEVERITIES.forEach(function (severity, i) {
      var count = failing(counts, severity);
      var y = top + i * rowH;
      var w = count / max * (width - left - right);
      svg.push('<text x="' + (left - 10) + '" y="' + (y + rowH / 2 + 4) + '" text-anchor="end">' + SEVERITY_LABELS[severity] + '</text>');
      svg.push('<rect x="' + left + '" y="' + (y + 7) + '" width="' + (width - left - right) + '" height="' + (rowH - 14) + '" rx="4" fill="#f1f3f6"/>');
      svg.push('<rect data-testid="sev-bar-' + severity + '" data-value="' + count + '" x="' + left + '" y="' + (y + 7) + '" width="' + w +
        '" height="' + (rowH - 14) + '" rx="4" style="fill:var(--' + severity + ')"><title>' + SEVERITY_LABELS[severity] + ': ' + thousands(count) + '</title></rect>');
      svg.push('<text class="value" x="' + (left + w + 8) + '" y="' + (y + rowH / 2 + 4) + '">' + thousands(count) + '</text>');
    });
    svg.push('</svg>');
    var checks = data.run.checks;
    $('severity-chart').innerHTML = svg.join('') + '<p class="hint">Also ' + thousands(checks.error) + ' checks in error and ' +
      thousands(checks.muted) + ' muted by exceptions.</p>';
  }

  function renderHeatmap() {
    var head = '<thead><tr><th></th>' + data.groups.map(function (group) {
      return '<th scope="col">' + esc(group) + '</th>';
    }).join('') + '</tr></thead>';
    var body = data.accounts.map(function (account, a) {
      var cells = data.heatmap[a].map(function (cell, g) {
        var c = cell.checks;
        var total = c.pass + c.fail + c.error + c.muted;
        var attrs = ' data-testid="heat-cell" data-account="' + esc(account.id) + '" data-group="' + esc(data.groups[g]) +
          '" data-pass="' + c.pass + '" data-fail="' + c.fail + '" data-error="' + c.error + '" data-muted="' + c.muted +
          '" data-score="' + (cell.score === null ? '' : cell.score) + '"';
        if (total === 0) {
          return '<td class="empty"' + attrs + ' title="' + esc(data.groups[g]) + ' in ' + esc(accountLabel(account.id)) + ': no checks">–</td>';
        }
        var title = data.groups[g] + ' in ' + accountLabel(account.id) + ': score ' + cell.scoreText + ' · ' + c.pass + ' pass · ' +
          c.fail + ' fail · ' + c.error + ' error · ' + c.muted + ' muted';
        return '<td' + attrs + ' style="' + heatStyle(cell.score) + '" title="' + esc(title) + '">' +
          (cell.score === null ? 'err' : esc(cell.scoreText.replace('.0%', '%'))) + (c.error ? '<span class="err">!</span>' : '') + '</td>';
      }).join('');
      return '<tr><th scope="row">' + (account.name ? '<span class="acct-name">' + esc(account.name) + '</span>' : '') +
        '<span class="mono">' + esc(account.id) + '</span></th>' + cells + '</tr>';
    }).join('');
    $('heatmap').innerHTML = head + '<tbody>' + body + '</tbody>';

    var legend = [['100%', 100], ['95–99', 97], ['85–94', 90], ['70–84', 75], ['50–69', 60], ['< 50', 10], ['errors only', null]];
    $('heat-legend').innerHTML = legend.map(function (entry) {
      return '<span class="swatch"><i style="' + heatStyle(entry[1]) + '"></i>' + esc(entry[0]) + '</span>';
    }).join('') + '<span class="swatch"><i class="empty-swatch" style="background:repeating-linear-gradient(45deg,#f4f5f7,#f4f5f7 3px,#e3e6ea 3px,#e3e6ea 6px)"></i>no checks</span>' +
      '<span class="swatch">! some errors</span>';
  }

  function renderAccounts() {
    $('accounts-body').innerHTML = data.accounts.map(function (account) {
      var fails = SEVERITIES.map(function (severity) {
        var count = failing(account.failingBySeverity, severity);
        return '<td class="num' + (count ? '' : ' zero') + '">' + thousands(count) + '</td>';
      }).join('');
      var c = account.checks;
      var bar = account.score === null ? '' : '<span class="scorebar"><i style="width:' + account.score.toFixed(1) + '%"></i></span>';
      return '<tr data-testid="account-row" data-account="' + esc(account.id) + '" data-score="' + (account.score === null ? '' : account.score) + '">' +
        '<td class="mono">' + esc(account.id) + '</td><td>' + esc(account.name || '—') + '</td><td>' + esc(account.owner || '—') + '</td>' +
        '<td class="num" data-testid="account-score">' + esc(account.scoreText) + bar + '</td>' +
        '<td class="num">' + thousands(c.pass + c.fail + c.error + c.muted) + '</td>' + fails +
        '<td class="num' + (c.error ? '' : ' zero') + '">' + thousands(c.error) + '</td></tr>';
    }).join('');
  }

  // ---- failing checks: filters, table, drill-down ----

  function option(value, label) {
    return '<option value="' + esc(value) + '">' + esc(label) + '</option>';
  }

  function renderFilterOptions() {
    $('filter-severity').innerHTML = option('', 'All severities') + SEVERITIES.map(function (s) { return option(s, SEVERITY_LABELS[s]); }).join('');
    $('filter-status').innerHTML = option('', 'All statuses') + STATUSES.map(function (s) { return option(s, s); }).join('');
    $('filter-account').innerHTML = option('', 'All accounts') + data.accounts.map(function (a) { return option(a.id, accountLabel(a.id)); }).join('');
    $('filter-group').innerHTML = option('', 'All rule groups') + data.groups.map(function (g) { return option(g, g); }).join('');
  }

  function haystack(finding) {
    if (finding._haystack === undefined) {
      var info = rule(finding.ruleId);
      var account = accountsById[finding.accountId] || {};
      finding._haystack = [finding.ruleId, info.title, info.group, finding.severity, finding.status, finding.accountId,
        account.name || '', account.owner || '', finding.region, finding.resourceType, finding.resourceId,
        finding.resourceArn || '', finding.message].join('\n').toLowerCase();
    }
    return finding._haystack;
  }

  function applyFilters() {
    var terms = state.search.toLowerCase().split(/\s+/).filter(Boolean);
    filtered = data.findings.filter(function (finding) {
      if (state.severity && finding.severity !== state.severity) { return false; }
      if (state.status && finding.status !== state.status) { return false; }
      if (state.account && finding.accountId !== state.account) { return false; }
      if (state.group && rule(finding.ruleId).group !== state.group) { return false; }
      if (terms.length) {
        var text = haystack(finding);
        for (var i = 0; i < terms.length; i++) { if (text.indexOf(terms[i]) < 0) { return false; } }
      }
      return true;
    });
  }

  function pageCount() {
    return Math.max(1, Math.ceil(filtered.length / state.size));
  }

  function renderTable() {
    state.page = Math.min(Math.max(1, state.page), pageCount());
    var start = (state.page - 1) * state.size;
    var rows = filtered.slice(start, start + state.size);
    $('findings-body').innerHTML = rows.map(function (f) {
      var info = rule(f.ruleId);
      var message = f.message.length > 280 ? f.message.slice(0, 277) + '…' : f.message;
      return '<tr data-testid="finding-row" data-id="' + esc(f.id) + '"' + (f.id === state.finding ? ' class="selected"' : '') + '>' +
        '<td><span class="badge ' + esc(f.severity) + '">' + esc(f.severity) + '</span></td>' +
        '<td><span class="status ' + esc(f.status) + '">' + esc(f.status) + '</span></td>' +
        '<td><div class="rule-title">' + esc(info.title) + '</div><div class="mono small">' + esc(f.ruleId) + '</div></td>' +
        '<td>' + esc((accountsById[f.accountId] || {}).name || '') + '<div class="mono small">' + esc(f.accountId) + ' · ' + esc(f.region) + '</div></td>' +
        '<td class="res"><div class="mono">' + esc(f.resourceId) + '</div><div class="small">' + esc(f.resourceType) + '</div></td>' +
        '<td class="msg">' + esc(message) + '</td></tr>';
    }).join('') || '<tr><td colspan="6" class="hint">No check matches these filters.</td></tr>';

    var count = $('findings-count');
    count.setAttribute('data-value', String(filtered.length));
    count.setAttribute('data-total', String(data.findings.length));
    count.innerHTML = filtered.length === data.findings.length
      ? '<b>' + thousands(filtered.length) + '</b> checks need attention'
      : '<b>' + thousands(filtered.length) + '</b> of ' + thousands(data.findings.length) + ' checks match';
    $('page-info').textContent = 'Page ' + state.page + ' of ' + pageCount();
    $('page-prev').disabled = state.page <= 1;
    $('page-next').disabled = state.page >= pageCount();
    var note = $('findings-note');
    note.textContent = data.findingsTotal > data.findings.length
      ? 'The list holds the ' + thousands(data.findings.length) + ' most severe of ' + thousands(data.findingsTotal) + ' checks; all counts above cover every check.'
      : 'FAIL, ERROR and MUTED checks, most severe first';
  }

  function renderDetail() {
    var finding = state.finding ? findingsById[state.finding] : null;
    $('detail-empty').hidden = !!finding;
    $('detail-body').hidden = !finding;
    $('detail').setAttribute('data-finding', finding ? finding.id : '');
    if (!finding) { return; }
    var info = rule(finding.ruleId);
    var severity = $('detail-severity');
    severity.className = 'badge ' + finding.severity;
    severity.textContent = finding.severity;
    var status = $('detail-status');
    status.className = 'status ' + finding.status;
    status.textContent = finding.status;
    $('detail-title').textContent = info.title;
    $('detail-rule').textContent = finding.ruleId + ' · ' + info.group;
    $('detail-account').textContent = accountLabel(finding.accountId);
    $('detail-region').textContent = finding.region;
    $('detail-resource-type').textContent = finding.resourceType;
    $('detail-resource-id').textContent = finding.resourceId;
    $('detail-arn').textContent = finding.resourceArn || '—';
    $('detail-id').textContent = finding.id;
    $('detail-references').textContent = info.references.length ? info.references.join(', ') : '—';
    $('detail-message').textContent = finding.message;
    $('detail-rationale').textContent = info.rationale || '—';
    $('detail-remediation').textContent = info.remediation || '—';
  }

  // ---- state in the URL fragment ----

  function readHash() {
    var params = new URLSearchParams(location.hash.replace(/^#/, ''));
    state.search = params.get('search') || '';
    state.severity = params.get('severity') || '';
    state.status = params.get('status') || '';
    state.account = params.get('account') || '';
    state.group = params.get('group') || '';
    state.finding = params.get('finding') || '';
    state.page = parseInt(params.get('page'), 10) || 1;
    var size = parseInt(params.get('size'), 10);
    state.size = size > 0 ? Math.min(size, 100000) : DEFAULT_PAGE_SIZE;
    $('search').value = state.search;
    $('filter-severity').value = state.severity;
    $('filter-status').value = state.status;
    $('filter-account').value = state.account;
    $('filter-group').value = state.group;
  }

  function writeHash() {
    var params = new URLSearchParams();
    KEYS.forEach(function (key) {
      var value = state[key];
      if (key === 'page' && value === 1) { return; }
      if (key === 'size' && value === DEFAULT_PAGE_SIZE) { return; }
      if (value !== '' && value !== null && value !== undefined) { params.set(key, String(value)); }
    });
    var text = params.toString();
    try {
      history.replaceState(null, '', text ? '#' + text : location.pathname + location.search);
    } catch (ignored) {
      // Some viewers forbid history changes on local files; the view still works unlinked.
    }
  }

  function refresh() {
    applyFilters();
    renderTable();
    renderDetail();
  }

  function setFilter(changes) {
    Object.keys(changes).forEach(function (key) { state[key] = changes[key]; });
    state.page = 1;
    $('search').value = state.search;
    $('filter-severity').value = state.severity;
    $('filter-status').value = state.status;
    $('filter-account').value = state.account;
    $('filter-group').value = state.group;
    refresh();
    writeHash();
  }

  function select(id) {
    state.finding = id;
    Array.prototype.forEach.call($('findings-body').querySelectorAll('tr.selected'), function (row) { row.classList.remove('selected'); });
    var row = $('findings-body').querySelector('tr[data-id="' + CSS.escape(id) + '"]');
    if (row) { row.classList.add('selected'); }
    renderDetail();
    writeHash();
  }

  function wire() {
    var typing = null;
    $('search').addEventListener('input', function () {
      clearTimeout(typing);
      typing = setTimeout(function () { setFilter({ search: $('search').value.trim() }); }, 150);
    });
    $('filters').addEventListener('submit', function (event) { event.preventDefault(); });
    [['filter-severity', 'severity'], ['filter-status', 'status'], ['filter-account', 'account'], ['filter-group', 'group']].forEach(function (pair) {
      $(pair[0]).addEventListener('change', function () {
        var change = {};
        change[pair[1]] = $(pair[0]).value;
        setFilter(change);
      });
    });
    $('filter-reset').addEventListener('click', function () {
      setFilter({ search: '', severity: '', status: '', account: '', group: '', finding: '' });
    });
    $('page-prev').addEventListener('click', function () { state.page -= 1; renderTable(); writeHash(); });
    $('page-next').addEventListener('click', function () { state.page += 1; renderTable(); writeHash(); });
    $('findings-body').addEventListener('click', function (event) {
      var row = event.target.closest('tr[data-id]');
      if (row) { select(row.getAttribute('data-id')); }
    });
    $('heatmap').addEventListener('click', function (event) {
      var cell = event.target.closest('td[data-account]');
      if (!cell || cell.classList.contains('empty')) { return; }
      setFilter({ account: cell.getAttribute('data-account'), group: cell.getAttribute('data-group'), severity: '', status: '', search: '' });
      $('findings').scrollIntoView({ behavior: 'smooth' });
    });
    $('accounts-body').addEventListener('click', function (event) {
      var row = event.target.closest('tr[data-account]');
      if (!row) { return; }
      setFilter({ account: row.getAttribute('data-account'), group: '' });
      $('findings').scrollIntoView({ behavior: 'smooth' });
    });
    window.addEventListener('hashchange', function () { readHash(); refresh(); });
  }

  renderHeader();
  renderTrend();
  renderSeverityChart();
  renderHeatmap();
  renderAccounts();
  renderFilterOptions();
  readHash();
  refresh();
  wire();
  document.body.setAttribute('data-ready', 'true');
}());
