/* The SMMU web console page: polls state.json once a second and draws the host, the policy, the VMs
 * (PCI tree and iommufd object graph), workloads and sweeps. Data goes into the DOM as text only. */
(function () {
	'use strict';
	var root = document.getElementById('smmu');
	var base = root.getAttribute('data-root');
	var errors = [];
	var last = null, samples = 0, signatures = {};

	function fail(msg) {
		errors.push(String(msg));
		document.body.setAttribute('data-smmu-errors', String(errors.length));
		var s = document.getElementById('smmu-status');
		s.className = 'smmu-note smmu-error';
		s.textContent = 'error: ' + msg;
	}
	window.addEventListener('error', function (e) { fail(e.message + ' (' + e.filename + ':' + e.lineno + ')'); });
	window.addEventListener('unhandledrejection', function (e) { fail(e.reason); });
	document.body.setAttribute('data-smmu-errors', '0');

	function el(tag, attrs, children) {
		var e = document.createElement(tag);
		if (attrs) { for (var k in attrs) { if (k === 'text') { e.textContent = attrs[k]; } else { e.setAttribute(k, attrs[k]); } } }
		(children || []).forEach(function (c) { if (c) { e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); } });
		return e;
	}
	function svg(tag, attrs) {
		var e = document.createElementNS('http://www.w3.org/2000/svg', tag);
		for (var k in attrs) { e.setAttribute(k, attrs[k]); }
		return e;
	}
	function table(head, rows) {
		var t = el('table', { 'class': 'smmu' });
		t.appendChild(el('tr', null, head.map(function (h) { return el('th', { text: h }); })));
		rows.forEach(function (r) { t.appendChild(r); });
		return t;
	}
	function fmt(n) {
		if (n === null || n === undefined || isNaN(n)) { return '-'; }
		return Math.abs(n - Math.round(n)) < 1e-9 ? Math.round(n).toLocaleString('en') : n.toFixed(1);
	}
	function post(path, params) {
		var body = new URLSearchParams(params);
		return fetch(base + '/' + path, { method: 'POST', body: body, credentials: 'same-origin' }).then(function (r) {
			return r.json().then(function (j) { if (!r.ok) { throw new Error(j.error || r.status); } return j; });
		});
	}
	function replace(id, node) {
		var c = document.getElementById(id);
		while (c.firstChild) { c.removeChild(c.firstChild); }
		c.appendChild(node);
	}
	/* rebuilds a section only when its data changed (no flicker, no lost selections) */
	function changed(key, data) {
		var s = JSON.stringify(data);
		if (signatures[key] === s) { return false; }
		signatures[key] = s;
		return true;
	}

	function host(state) {
		var prev = {};
		if (last) { last.smmus.forEach(function (s) { prev[s.id] = s.counters; }); }
		var dt = last ? (state.time - last.time) / 1000 : 0;
		var rows = state.smmus.map(function (s) {
			var c = s.counters, p = prev[s.id];
			function rate(k) { return p && dt > 0 ? (c[k] - p[k]) / dt : NaN; }
			var lookups = p ? c.tlbLookups - p.tlbLookups : 0, hits = p ? c.tlbHits - p.tlbHits : 0;
			function cell(k, v) { return el('td', { 'class': 'num', id: 'c-' + s.id + '-' + k, text: fmt(v) }); }
			return el('tr', null, [el('td', { text: s.id }), el('td', { text: s.base }), el('td', { text: s.endpoints.join(', ') }),
				cell('translations', c.translations), cell('translations-rate', rate('translations')),
				cell('hitrate', c.tlbLookups ? 100 * c.tlbHits / c.tlbLookups : NaN), cell('hitrate-now', lookups > 0 ? 100 * hits / lookups : NaN),
				cell('walks', c.walks), cell('walks-rate', rate('walks')), cell('invalidations', c.invalidations),
				cell('invalidations-rate', rate('invalidations')), cell('events', c.events), cell('events-rate', rate('events')), cell('faults', c.faults)]);
		});
		replace('smmu-host', table(['SMMU', 'base', 'endpoints (BDF, StreamID)', 'translations', '/s', 'TLB hit %', 'hit % (last s)', 'walk reads', '/s',
			'invalidations', '/s', 'events', '/s', 'faults'], rows));
	}

	function policy(state) {
		var p = state.policy;
		if (!changed('policy', p)) { return; }
		var sel = el('select', { id: 'policy-select' }, (p.available || []).map(function (n) {
			var o = el('option', { value: n, text: n });
			if (n === p.active) { o.selected = true; }
			return o;
		}));
		var btn = el('button', { id: 'policy-switch', type: 'button', text: 'Switch policy' });
		btn.addEventListener('click', function () {
			btn.disabled = true;
			post('policy', { name: sel.value }).then(function () { btn.disabled = false; tick(); }, function (e) { btn.disabled = false; fail(e.message); });
		});
		replace('smmu-policy', el('div', null, [el('span', { text: 'active: ' }), el('b', { id: 'policy-active', text: p.active || '(none)' }),
			el('span', { text: ' (configured: ' + p.configured + ') ' }), sel, btn,
			(p.problems && p.problems.length) ? el('div', { 'class': 'smmu-error', text: p.problems.join('; ') }) : null]));
	}

	var ORDER = ['IOAS', 'HWPT_PAGING', 'VIOMMU', 'DEVICE', 'HWPT_NESTED', 'VDEVICE', 'VEVENTQ', 'FAULT', 'ACCESS'];
	function graph(vm) {
		var cols = {}, pos = {};
		vm.objects.forEach(function (o) { (cols[o.type] = cols[o.type] || []).push(o); });
		var types = ORDER.filter(function (t) { return cols[t]; }).concat(Object.keys(cols).filter(function (t) { return ORDER.indexOf(t) < 0; }));
		var W = 175, H = 30, GX = 40, GY = 10, rows = 0;
		types.forEach(function (t, i) {
			cols[t].forEach(function (o, j) { pos[o.id] = { x: 10 + i * (W + GX), y: 30 + j * (H + GY) }; });
			rows = Math.max(rows, cols[t].length);
		});
		var s = svg('svg', { 'class': 'graph', id: 'graph-' + vm.name, width: 20 + types.length * (W + GX), height: 40 + rows * (H + GY) });
		types.forEach(function (t, i) { var h = svg('text', { x: 10 + i * (W + GX), y: 16, 'font-weight': 'bold' }); h.textContent = t; s.appendChild(h); });
		vm.objects.forEach(function (o) {
			o.refs.forEach(function (r) {
				var a = pos[o.id], b = pos[r];
				if (!a || !b) { return; }
				var x1 = a.x, y1 = a.y + H / 2, x2 = b.x + W, y2 = b.y + H / 2;
				if (b.x >= a.x) { x1 = a.x + W; x2 = b.x; }
				var mx = (x1 + x2) / 2;
				s.appendChild(svg('path', { d: 'M' + x1 + ',' + y1 + ' C' + mx + ',' + y1 + ' ' + mx + ',' + y2 + ' ' + x2 + ',' + y2, fill: 'none', stroke: '#999', 'marker-end': 'url(#arrow)' }));
			});
		});
		var defs = svg('defs', {}), m = svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 6, markerHeight: 6, orient: 'auto' });
		m.appendChild(svg('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#999' }));
		defs.appendChild(m);
		s.insertBefore(defs, s.firstChild);
		vm.objects.forEach(function (o) {
			var p = pos[o.id], g = svg('g', { 'data-object': o.id });
			g.appendChild(svg('rect', { x: p.x, y: p.y, width: W, height: H, rx: 5, fill: o.type === 'HWPT_PAGING' ? '#fde9d3' : '#e8eef6', stroke: '#4e79a7' }));
			var t = svg('text', { x: p.x + 6, y: p.y + 13 });
			t.textContent = o.type.toLowerCase() + ' #' + o.id + (o.tableBytes ? ' ' + fmt(o.tableBytes) + ' B' : '');
			var d = svg('text', { x: p.x + 6, y: p.y + 25, fill: '#555' });
			d.textContent = (o.detail || '').slice(0, 27);
			var title = svg('title', {});
			title.textContent = o.type + ' ' + o.id + ': ' + o.detail + ' (users ' + o.users + ')';
			g.appendChild(title); g.appendChild(t); g.appendChild(d);
			s.appendChild(g);
		});
		return s;
	}

	function vms(state) {
		if (!changed('vms', state.vms)) { return; }
		var box = el('div');
		if (!state.vms.length) { box.appendChild(el('p', { 'class': 'smmu-note', text: 'no VMs (vm:create in the shell)' })); }
		state.vms.forEach(function (vm) {
			var tree = el('ul', { 'class': 'pci' });
			var ids = vm.buses.map(function (b) { return b.id; });
			// a bus, its vSMMU and devices, then the buses below it (pcie.0 > pxb-pcie > root ports)
			function busItem(b) {
				var devs = vm.devices.filter(function (d) { return d.bus === b.id; });
				var vs = vm.vsmmus.filter(function (v) { return v.primaryBus === b.id; })[0];
				var label = b.id + ' (' + b.kind + ', bus ' + b.number + ')';
				var li = el('li', null, [label]);
				if (vs) { li.appendChild(el('span', null, [' \u2014 ', el('span', { 'class': 'pair', text: vs.id + ' \u2194 ' + (vs.physicalSmmu || '?') }), ' (vSMMU at ' + vs.mmio + ')'])); }
				var items = devs.map(function (d) {
					return el('li', { id: 'vm-' + vm.name + '-dev-' + d.id }, [d.id + ' ' + d.guestBdf + ': ',
						el('span', { 'class': 'pair', text: 'vSID ' + d.vsid + ' \u2194 pSID ' + d.psid }),
						' \u2014 host ' + d.hostBdf + ' behind ' + d.physicalSmmu + (d.vsmmu ? ' (' + d.vsmmu + ')' : ' (no vIOMMU)')]);
				}).concat(vm.buses.filter(function (c) { return c.parent === b.id && c.id !== b.id; }).map(busItem));
				if (items.length) { li.appendChild(el('ul', null, items)); }
				return li;
			}
			vm.buses.filter(function (b) { return !b.parent || ids.indexOf(b.parent) < 0; }).forEach(function (b) { tree.appendChild(busItem(b)); });
			box.appendChild(el('div', { 'class': 'smmu-vm', id: 'vm-' + vm.name }, [el('h3', { text: vm.name + ' (' + vm.state + ', ' + fmt(vm.ram / 1048576) + ' MiB)' }), tree,
				el('div', { 'class': 'smmu-note', text: 'iommufd objects (arrows: holds a reference on)' }), graph(vm)]));
		});
		replace('smmu-vms', box);
		// the workload form lists the VMs
		signatures.workloads = null;
	}

	function workloads(state) {
		var rows = state.workloads.map(function (w) {
			return el('tr', null, [el('td', { text: String(w.id) }), el('td', { text: w.vm }), el('td', { text: w.pattern }), el('td', { text: w.devices.join(',') }),
				el('td', { text: w.state }), el('td', { 'class': 'num', id: 'w-' + w.id + '-ios', text: fmt(w.ios) }), el('td', { 'class': 'num', text: fmt(w.iosPerSecond) }),
				el('td', { 'class': 'num', text: fmt(w.faults) }), el('td', { text: w.error || '' })]);
		});
		var t = table(['id', 'VM', 'pattern', 'devices', 'state', 'I/Os', 'I/O/s', 'faults', 'error'], rows);
		if (document.getElementById('workload-form') && !changed('workloads', state.vms.map(function (v) { return v.name; }))) {
			replace('workload-table', t);
			return;
		}
		var vm = el('select', { id: 'workload-vm' }, state.vms.map(function (v) { return el('option', { value: v.name, text: v.name }); }));
		var pat = el('select', { id: 'workload-pattern' }, ['random', 'stream', 'churn-strict', 'churn-lazy'].map(function (p) { return el('option', { value: p, text: p }); }));
		var secs = el('input', { id: 'workload-seconds', value: '30', size: 4 });
		var start = el('button', { id: 'workload-start', type: 'button', text: 'Start DMA' });
		var stop = el('button', { id: 'workload-stop', type: 'button', text: 'Stop all' });
		start.addEventListener('click', function () { post('workload/start', { vm: vm.value, pattern: pat.value, seconds: secs.value }).then(tick, function (e) { fail(e.message); }); });
		stop.addEventListener('click', function () { post('workload/stop', {}).then(tick, function (e) { fail(e.message); }); });
		replace('smmu-workloads', el('div', null, [el('div', { id: 'workload-form' }, ['VM ', vm, ' pattern ', pat, ' seconds ', secs, start, stop,
			el('span', { 'class': 'smmu-note', text: ' (2000 I/Os per second per device)' })]), el('div', { id: 'workload-table' }, [t])]));
	}

	function sweeps(state) {
		if (!changed('sweeps', [state.sweeps, state.shippedSweeps])) { return; }
		var box = el('div');
		box.appendChild(el('div', null, ['Run a shipped sweep (each point on a fresh host): '].concat(state.shippedSweeps.map(function (n) {
			var b = el('button', { id: 'sweep-run-' + n, type: 'button', text: n });
			b.addEventListener('click', function () { post('sweep/run', { name: n }).then(tick, function (e) { fail(e.message); }); });
			return b;
		}))));
		state.sweeps.slice().reverse().forEach(function (s) {
			var head = el('h3', { text: '#' + s.id + ' ' + s.name + ' \u2014 ' + (s.running ? 'running ' : 'done ') + s.completed + '/' + s.total });
			var d = el('div', { id: 'sweep-' + s.id }, [head, el('div', { 'class': 'smmu-note', text: s.question })]);
			if (!s.running) {
				d.appendChild(el('img', { 'class': 'sweep', src: base + '/sweep/' + s.id + '.svg', alt: s.name }));
				d.appendChild(el('div', null, ['files: ', el('a', { href: base + '/sweep/' + s.id + '.csv', text: 'CSV' }), ' ', el('a', { href: base + '/sweep/' + s.id + '.json', text: 'JSON' }),
					' ', el('a', { href: base + '/sweep/' + s.id + '.png', text: 'PNG' })]));
			}
			box.appendChild(d);
		});
		if (!state.sweeps.length) { box.appendChild(el('p', { 'class': 'smmu-note', text: 'no sweep run yet (sweep:run in the shell, or a button above)' })); }
		replace('smmu-sweeps', box);
	}

	function tick() {
		return fetch(base + '/state.json', { credentials: 'same-origin', cache: 'no-store' }).then(function (r) {
			if (!r.ok) { throw new Error('state.json: HTTP ' + r.status); }
			return r.json();
		}).then(function (state) {
			host(state); policy(state); vms(state); workloads(state); sweeps(state);
			last = state; samples++;
			var s = document.getElementById('smmu-status');
			if (!errors.length) { s.textContent = 'live: ' + samples + ' samples, last at ' + new Date(state.time).toLocaleTimeString('en-GB'); }
			document.body.setAttribute('data-smmu-samples', String(samples));
		}).catch(function (e) { fail(e.message); });
	}
	tick();
	setInterval(tick, 1000);
})();
