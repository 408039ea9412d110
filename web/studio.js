// Continuo studio: the page. Talks to the server's JSON API (docs/API.md); no external resources.
'use strict';

const $ = (sel, root = document) => root.querySelector(sel);
const HISTORY_KEY = 'continuo.history.v1';

// ---- API -----------------------------------------------------------------------------------------

async function api(path, options = {}) {
  const res = await fetch(path, options);
  let body = null;
  const type = res.headers.get('Content-Type') || '';
  if (type.startsWith('application/json')) body = await res.json();
  if (!res.ok) {
    const msg = body && body.error ? body.error.message : `${res.status} ${res.statusText}`;
    const err = new Error(msg);
    err.status = res.status;
    err.code = body && body.error ? body.error.code : null;
    throw err;
  }
  return body;
}

// Reads a server-sent event stream from a fetch() response; calls onEvent(name, data).
async function readEvents(res, onEvent) {
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += decoder.decode(value, { stream: true });
    let at;
    while ((at = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, at);
      buf = buf.slice(at + 2);
      let name = 'message', data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) name = line.slice(7);
        else if (line.startsWith('data: ')) data += line.slice(6);
      }
      if (data) onEvent(name, JSON.parse(data));
    }
  }
}

function toBase64(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

// ---- time: beats <-> seconds through a tempo map [{beat, bpm}] -----------------------------------

function secondsToBeat(tempos, sec) {
  let beat = 0, t = 0;
  const list = tempos && tempos.length ? tempos : [{ beat: 0, bpm: 120 }];
  for (let i = 0; i < list.length; i++) {
    const next = list[i + 1];
    const spb = 60 / list[i].bpm;
    const segBeats = next ? next.beat - list[i].beat : Infinity;
    if (sec <= t + segBeats * spb) return list[i].beat + (sec - t) / spb;
    t += segBeats * spb;
    beat = next.beat;
  }
  return beat;
}

// ---- colours and the track legend ------------------------------------------------------------

const PALETTE = ['#f2b134', '#4fc1e9', '#ed5565', '#a0d468', '#ac92ec', '#ffce54', '#48cfad', '#ec87c0',
  '#5d9cec', '#fc6e51', '#8cc152', '#d770ad', '#37bc9b', '#e8ce4d', '#967adc', '#f6bb42'];
const trackColour = (t) => PALETTE[t % PALETTE.length];
const hidden = new Set();

// The legend lists track numbers, hiding one hides it in every roll. Shown results name them first
// (Drumify adds a drum track); the input's tracks complete the list when the results are the input
// extended (continuations, Groove, Drumify), not when they are new clips with tracks of their own.
function refreshLegend() {
  const tracks = [];
  const shown = state.cards.filter((c) => c.result);
  const lists = shown.map((c) => c.result.tracks);
  if (!shown.length || shown.every((c) => c.extendsInput)) lists.push(state.input ? state.input.tracks : []);
  for (const list of lists) list.forEach((t, i) => { if (!tracks[i]) tracks[i] = t; });
  renderLegend(tracks);
}

function renderLegend(tracks) {
  const el = $('#legend');
  el.innerHTML = '';
  (tracks || []).forEach((t, i) => {
    const label = document.createElement('label');
    label.title = `channel ${t.channel + 1}, ${t.notes} notes`;
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.checked = !hidden.has(i);
    box.dataset.track = i;
    box.addEventListener('change', () => {
      if (box.checked) hidden.delete(i); else hidden.add(i);
      allRolls().forEach((r) => r.draw());
    });
    const sw = document.createElement('span');
    sw.className = 'swatch';
    sw.style.background = trackColour(i);
    label.append(box, sw, document.createTextNode(`${t.name || 'Track ' + (i + 1)} · ${t.instrument}`));
    el.append(label);
  });
}

// ---- piano roll ----------------------------------------------------------------------------------

class Roll {
  constructor(canvas) {
    this.canvas = canvas;
    this.prompt = [];      // [track, pitch, start, duration, velocity] in beats
    this.notes = [];       // new notes
    this.promptEnd = 0;
    this.beatsPerBar = 4;
    this.playhead = null;
    this.region = null;    // [from, to] in beats: infill's passage, shaded
    this.minBeats = 8;
    this.viewBeats = 8;    // beats across the canvas at the last draw (for pointer -> beat)
    new ResizeObserver(() => this.draw()).observe(canvas);
  }
  set(prompt, notes, promptEnd) {
    this.prompt = prompt || [];
    this.notes = notes || [];
    this.promptEnd = promptEnd || 0;
    this.canvas.dataset.notes = String(this.notes.length);
    this.canvas.dataset.promptNotes = String(this.prompt.length);
    this.draw();
  }
  add(notes) {
    for (const n of notes) this.notes.push(n);
    this.canvas.dataset.notes = String(this.notes.length);
    this.scheduleDraw();
  }
  scheduleDraw() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => { this.pending = false; this.draw(); });
  }
  setRegion(region) {
    this.region = region;
    this.canvas.dataset.region = region ? `${region[0]}-${region[1]}` : '';
    this.scheduleDraw();
  }
  // The beat under a client x coordinate, as last drawn.
  beatAt(clientX) {
    const r = this.canvas.getBoundingClientRect();
    return Math.max(0, (clientX - r.left) / Math.max(1, r.width)) * this.viewBeats;
  }
  setPlayhead(beat) {
    this.playhead = beat;
    this.canvas.dataset.playhead = beat == null ? '' : beat.toFixed(2);
    this.scheduleDraw();
  }
  draw() {
    const c = this.canvas, dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, c.clientWidth), h = Math.max(1, c.clientHeight);
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
      c.width = Math.round(w * dpr);
      c.height = Math.round(h * dpr);
    }
    const g = c.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    const all = this.prompt.concat(this.notes);
    let lo = 127, hi = 0, end = Math.max(this.minBeats, this.promptEnd);
    for (const n of all) {
      lo = Math.min(lo, n[1]); hi = Math.max(hi, n[1]);
      end = Math.max(end, n[2] + n[3]);
    }
    if (lo > hi) { lo = 48; hi = 72; }
    lo = Math.max(0, lo - 2); hi = Math.min(127, hi + 2);
    if (hi - lo < 24) { const pad = (24 - (hi - lo)) / 2; lo = Math.max(0, Math.floor(lo - pad)); hi = Math.min(127, Math.ceil(hi + pad)); }
    end *= 1.02;
    this.viewBeats = end;
    const x = (b) => (b / end) * w;
    const rowH = h / (hi - lo + 1);
    const y = (p) => h - (p - lo + 1) * rowH;
    // prompt region, bar lines, C rows
    g.fillStyle = '#2a2e37';
    g.fillRect(0, 0, x(this.promptEnd), h);
    if (this.region) {
      g.fillStyle = 'rgba(90, 140, 255, 0.2)';
      g.fillRect(x(this.region[0]), 0, x(this.region[1]) - x(this.region[0]), h);
      g.strokeStyle = 'rgba(140, 180, 255, 0.85)';
      g.lineWidth = 1.5;
      for (const b of this.region) { g.beginPath(); g.moveTo(x(b), 0); g.lineTo(x(b), h); g.stroke(); }
    }
    g.strokeStyle = 'rgba(255,255,255,0.07)';
    g.lineWidth = 1;
    const barStep = end / this.beatsPerBar > 64 ? this.beatsPerBar * 4 : this.beatsPerBar;
    for (let b = 0; b < end; b += barStep) { g.beginPath(); g.moveTo(x(b) + 0.5, 0); g.lineTo(x(b) + 0.5, h); g.stroke(); }
    g.fillStyle = 'rgba(255,255,255,0.04)';
    for (let p = lo; p <= hi; p++) if (p % 12 === 0) g.fillRect(0, y(p), w, rowH);
    const drawNotes = (list, alpha) => {
      for (const n of list) {
        if (hidden.has(n[0])) continue;
        g.globalAlpha = alpha * (0.45 + 0.55 * (n[4] / 127));
        g.fillStyle = trackColour(n[0]);
        g.fillRect(x(n[2]), y(n[1]), Math.max(1.5, x(n[3])), Math.max(1.5, rowH - 0.5));
      }
      g.globalAlpha = 1;
    };
    drawNotes(this.prompt, 0.55);
    drawNotes(this.notes, 1);
    if (this.playhead != null) {
      g.strokeStyle = '#ffffff';
      g.lineWidth = 1.5;
      g.beginPath(); g.moveTo(x(this.playhead), 0); g.lineTo(x(this.playhead), h); g.stroke();
    }
  }
}

// ---- state ---------------------------------------------------------------------------------------

const state = {
  input: null,          // score JSON of the piece to continue
  history: [],          // [{id, name, b64}]: the piece step by step; the last one is the input
  job: null,            // {id, controller}
  cards: [],            // result cards: variations of a generation, or a tool's scores
  tool: null,           // the tool request running ('groove', ...), one at a time
  others: [],           // pieces uploaded for Interpolate's B: [{id, name}]
  recording: null,      // the recording of the Audio panel (POST /api/recordings' "recording")
};
const inputRoll = new Roll($('#input-card canvas'));
const allRolls = () => [inputRoll, ...state.cards.map((c) => c.roll)];

function showError(msg) {
  const el = $('#error');
  el.textContent = msg;
  el.hidden = !msg;
}

function setJobStatus(text) { $('#job-status').textContent = text; }

function meta(score) {
  const ts = score.time_signatures && score.time_signatures[0];
  const bpm = score.tempos && score.tempos[0] ? Math.round(score.tempos[0].bpm) : 120;
  return `${score.tracks.length} tracks · ${score.notes_total} notes · ${score.seconds.toFixed(1)} s · ${bpm} BPM` +
    (ts ? ` · ${ts.numerator}/${ts.denominator}` : '') + (score.keys && score.keys[0] ? ` · ${score.keys[0]}` : '');
}

function beatsPerBar(score) {
  const ts = score && score.time_signatures && score.time_signatures[0];
  return ts ? ts.numerator * 4 / ts.denominator : 4;
}

function setInput(score) {
  state.input = score;
  $('#score-info').textContent = score ? `${score.name}: ${meta(score)}` : 'No piece loaded: load one, or make a new piece.';
  const card = $('#input-card');
  $('.meta', card).textContent = score ? score.name : '';
  $('.play', card).disabled = !score;
  const dl = $('.dl-midi', card);
  dl.hidden = !score;
  if (score) { dl.href = `/api/scores/${score.id}/midi`; dl.download = score.name; }
  inputRoll.beatsPerBar = beatsPerBar(score);
  inputRoll.set(score ? score.notes : [], [], 0);
  refreshLegend();
  renderDrumifyTracks(score);
  renderInfillAccompany(score);
  $('#interp-a').textContent = score ? score.name : 'the current piece (none loaded)';
  const total = score ? score.events : 0;
  $('#prompt-range').max = String(total);
  $('#prompt-total').textContent = score ? `of ${total}` : '';
  $('#prompt-events').max = String(total);
  if (score && Number($('#prompt-events').value) > total) $('#prompt-events').value = '0';
  $('#prompt-range').value = $('#prompt-events').value;
  if (score) document.querySelector('input[name=mode][value=continue]').checked = true;
  updateMode();
}

// ---- history (kept in localStorage, re-uploaded when the server no longer knows a score) -----

function saveHistory() {
  try { localStorage.setItem(HISTORY_KEY, JSON.stringify(state.history)); } catch (e) { /* full: keep going */ }
  renderHistory();
}

function renderHistory() {
  const ol = $('#history');
  ol.innerHTML = '';
  state.history.forEach((h, i) => {
    const li = document.createElement('li');
    li.textContent = h.name;
    if (i === state.history.length - 1) li.className = 'current';
    ol.append(li);
  });
  $('#undo').disabled = state.history.length < 2;
  renderInterpolateChoices();
}

async function scoreFromStep(step) {
  try {
    return await api(`/api/scores/${step.id}`);
  } catch (e) {
    if (e.status !== 404 || !step.b64) throw e;
    const s = await api('/api/scores', { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ midi_base64: step.b64, name: step.name }) });
    step.id = s.id;
    saveHistory();
    return s;
  }
}

async function pushStep(score, reset) {
  const bytes = new Uint8Array(await (await fetch(`/api/scores/${score.id}/midi`)).arrayBuffer());
  const step = { id: score.id, name: score.name, b64: toBase64(bytes) };
  state.history = reset ? [step] : state.history.concat([step]);
  saveHistory();
  setInput(score);
}

async function restoreHistory() {
  try { state.history = JSON.parse(localStorage.getItem(HISTORY_KEY) || '[]'); } catch (e) { state.history = []; }
  if (!Array.isArray(state.history)) state.history = [];
  renderHistory();
  if (!state.history.length) return;
  try {
    setInput(await scoreFromStep(state.history[state.history.length - 1]));
  } catch (e) {
    showError(`Could not restore the last piece: ${e.message}`);
  }
}

// ---- loading pieces ----------------------------------------------------------------------------

// A recording dropped where MIDI is expected goes to the audio panel.
function isRecording(file) {
  const name = (file.name || '').toLowerCase();
  return /\.(wav|wave|flac|ogg|oga|opus|mp3)$/.test(name) || (/^audio\//.test(file.type) && !/midi/.test(file.type));
}

async function upload(file) {
  showError('');
  if (!file) return;
  if (isRecording(file)) { showPanel('recording'); uploadRecording(file); return; }
  try {
    const score = await api(`/api/scores?name=${encodeURIComponent(file.name)}`, {
      method: 'POST', headers: { 'Content-Type': 'audio/midi' }, body: file });
    await pushStep(score, true);
  } catch (e) {
    showError(e.message.startsWith(file.name) ? e.message : `${file.name}: ${e.message}`);
  }
}

async function loadExample() {
  showError('');
  const name = $('#example').value;
  if (!name) return;
  try {
    const score = await api('/api/scores', { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ example: name }) });
    await pushStep(score, true);
  } catch (e) {
    showError(e.message);
  }
}

// ---- recordings (POST /api/recordings; the Audio panel) ------------------------------------------

function showRecording(rec) {
  state.recording = rec;
  const info = $('#audio-info');
  const players = $('#audio-players');
  if (!rec) { info.textContent = 'No recording yet.'; players.hidden = true; return; }
  info.textContent = `${rec.name}: ${rec.seconds.toFixed(1)} s, ${Math.round(rec.bpm)} BPM, ${rec.notes} notes heard ` +
    `(in ${rec.transcribe_seconds.toFixed(1)} s). A continuation starts at the last downbeat, ${rec.seam.toFixed(2)} s.`;
  $('#audio-original').src = `/api/scores/${rec.score}/audio?of=recording`;
  $('#audio-notes').src = `/api/scores/${rec.score}/audio?of=notes`;
  players.hidden = false;
}

async function uploadRecording(file) {
  showError('');
  if (!file) return;
  if (state.job || state.tool) { showError('Wait for the running work to finish (or stop it) first.'); return; }
  state.tool = 'recording';
  stopPlayback();
  setBusy('recording', `Audio: hearing the notes of ${file.name}…`);
  const t0 = performance.now();
  try {
    const r = await api(`/api/recordings?name=${encodeURIComponent(file.name)}`, {
      method: 'POST', headers: { 'Content-Type': file.type || 'application/octet-stream' }, body: file });
    showRecording(r.recording);
    await pushStep(r.score, true);
    setBusy(null, `Audio: ${r.recording.notes} notes heard in ${((performance.now() - t0) / 1000).toFixed(1)} s. ` +
      'Play the input to hear the recording; continue it below.');
  } catch (e) {
    showError(e.message.startsWith(file.name) ? e.message : `${file.name}: ${e.message}`);
    setBusy(null, '');
  } finally {
    state.tool = null;
    updateButtons();
  }
}

// ---- variations --------------------------------------------------------------------------------

// A result card: `title` names it ("Variation 2", "Drums 1", "Step 3 of 5 (B)"); `tool` is set
// for a tool's result (class "tool", no stop button).
function makeCard(v, title, tool) {
  const card = document.createElement('div');
  card.className = tool ? 'card tool' : 'card variation';
  card.dataset.variation = v;
  card.dataset.state = 'queued';
  if (tool) card.dataset.tool = tool;
  card.innerHTML = `<header><strong></strong> <span class="badge">queued</span>
    <span class="meta"></span>
    <span class="tools">
      <button type="button" class="stop"${tool ? ' hidden' : ''}>■ Stop</button>
      <button type="button" class="play" disabled>▶ Play</button>
      <a class="dl-midi" hidden download>MIDI</a>
      <a class="dl-wav" hidden download title="audio, uncompressed">WAV</a>
      <a class="dl-flac" hidden download title="audio, lossless compression">FLAC</a>
      <a class="dl-ogg" hidden download title="audio, Ogg Vorbis">OGG</a>
      <button type="button" class="keep" disabled title="make this the piece to continue">Keep</button>
    </span></header><canvas class="roll"></canvas><div class="err"></div>`;
  $('strong', card).textContent = title;
  // extendsInput: the result holds the input's tracks at their numbers (a continuation, Groove, Drumify)
  const c = { v, title, el: card, roll: new Roll($('canvas', card)), result: null, extendsInput: !tool };
  c.roll.beatsPerBar = inputRoll.beatsPerBar;
  $('.stop', card).addEventListener('click', () => stopJob(v));
  $('.play', card).addEventListener('click', () => togglePlay(c));
  $('.keep', card).addEventListener('click', () => keep(c));
  return c;
}

function setCardState(c, s, text) {
  c.el.dataset.state = s;
  const b = $('.badge', c.el);
  b.className = `badge ${s}`;
  b.textContent = text || s;
  $('.stop', c.el).disabled = s !== 'streaming' && s !== 'queued';
}

function layoutCards() {
  const tabs = $('#layout').value === 'tabs' && state.cards.length > 1;
  const box = $('#results');
  box.className = tabs ? 'tabs' : 'side';
  const nav = $('#tabs');
  nav.hidden = !tabs;
  nav.innerHTML = '';
  if (!tabs) return;
  const active = state.cards.findIndex((c) => c.el.classList.contains('active'));
  state.cards.forEach((c, i) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = c.title;
    b.addEventListener('click', () => {
      state.cards.forEach((x, j) => { x.el.classList.toggle('active', i === j); nav.children[j].classList.toggle('active', i === j); });
      c.roll.draw();
    });
    nav.append(b);
  });
  const pick = active >= 0 ? active : 0;
  state.cards.forEach((c, j) => { c.el.classList.toggle('active', j === pick); nav.children[j].classList.toggle('active', j === pick); });
}

function requestBody() {
  const num = (id) => Number($(id).value);
  const body = {
    model: $('#model').value || undefined,
    events: num('#events'), variations: num('#variations'),
    temperature: num('#temperature'), top_p: num('#top-p'), top_k: num('#top-k'),
    key_strength: num('#key-strength'),
    allow_controls: $('#controls').checked,
    seed: $('#seed-random').checked ? 'random' : num('#seed'),
  };
  const mode = document.querySelector('input[name=mode]:checked').value;
  if (mode === 'continue') {
    if (!state.input) throw new Error('Load a MIDI file or an example first, or choose “New piece”.');
    body.score = state.input.id;
    body.prompt_events = num('#prompt-events');
  } else {
    const start = {};
    const ins = $('#instruments').value.trim();
    if (ins) start.instruments = ins;
    if ($('#drums').value) start.drums = $('#drums').value;
    if ($('#bpm').value) start.bpm = num('#bpm');
    if ($('#time-signature').value.trim()) start.time_signature = $('#time-signature').value.trim();
    if ($('#key').value.trim()) start.key = $('#key').value.trim();
    body.start = start;
  }
  return body;
}

async function generate() {
  showError('');
  let body;
  try { body = requestBody(); } catch (e) { showError(e.message); return; }
  if (state.job || state.tool) return;
  stopPlayback();
  const controller = new AbortController();
  state.job = { id: null, controller };
  updateButtons();
  $('#stop-all').disabled = false;
  $('#results').innerHTML = '';
  state.cards = [];
  for (let v = 0; v < body.variations; v++) {
    const c = makeCard(v, `Variation ${v + 1}`);
    c.extendsInput = Boolean(body.score);
    state.cards.push(c);
    $('#results').append(c.el);
  }
  layoutCards();
  setJobStatus('Sending…');
  let prompt = [], promptEnd = 0;
  try {
    const res = await fetch('/api/generate', { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body), signal: controller.signal });
    if (!res.ok) {
      const j = await res.json().catch(() => null);
      throw new Error(j && j.error ? j.error.message : `${res.status} ${res.statusText}`);
    }
    await readEvents(res, (name, d) => {
      if (name === 'job') {
        state.job.id = d.id;
        prompt = d.prompt_notes; promptEnd = d.prompt_end;
        if ($('#seed-random').checked) $('#seed').value = d.seed;
        state.cards.forEach((c) => c.roll.set(prompt, [], promptEnd));
        setJobStatus(d.queue_position > 0 ? `Waiting (place ${d.queue_position} in the queue)…` : 'Starting…');
      } else if (name === 'queued') {
        setJobStatus(`Waiting (place ${d.position} in the queue)…`);
      } else if (name === 'start') {
        setJobStatus(`Generating with ${d.model}, seed ${$('#seed').value}…`);
        state.cards.forEach((c) => setCardState(c, 'streaming'));
      } else if (name === 'notes') {
        const c = state.cards[d.variation];
        c.roll.add(d.notes);
        c.el.dataset.events = d.events;
        $('.meta', c.el).textContent = `${d.events} events`;
      } else if (name === 'result') {
        const c = state.cards[d.variation];
        c.result = d.score;
        c.el.dataset.events = d.events;
        refreshLegend();
        c.roll.set(prompt, d.score.notes.filter((n) => n[2] >= promptEnd - 1e-9 && !isPromptNote(prompt, n)), promptEnd);
        setCardState(c, d.stopped ? 'stopped' : 'done', d.stopped ? `stopped at ${d.events}` : 'done');
        $('.meta', c.el).textContent = `${d.events} events · ${d.score.seconds.toFixed(1)} s`;
        $('.play', c.el).disabled = false;
        $('.keep', c.el).disabled = false;
        setDownloads(c, d.score);
      } else if (name === 'done') {
        setJobStatus(`Done: ${d.events} events in ${d.seconds.toFixed(1)} s (${d.events_per_second} events/s), seed ${$('#seed').value}.`);
      } else if (name === 'error') {
        showError(d.error.message);
        state.cards.forEach((c) => { if (!c.result) setCardState(c, 'error'); });
        setJobStatus('');
      }
    });
  } catch (e) {
    if (e.name !== 'AbortError') showError(e.message);
    state.cards.forEach((c) => { if (!c.result) setCardState(c, 'error', 'failed'); });
    setJobStatus('');
  } finally {
    state.job = null;
    $('#stop-all').disabled = true;
    updateButtons();
  }
}

// A result note that is one of the prompt's own notes (the result holds the prompt, then the new part).
function isPromptNote(prompt, n) {
  if (!isPromptNote.cache || isPromptNote.cache.src !== prompt) {
    isPromptNote.cache = { src: prompt, keys: new Set(prompt.map((p) => `${p[0]}:${p[1]}:${p[2]}`)) };
  }
  return isPromptNote.cache.keys.has(`${n[0]}:${n[1]}:${n[2]}`);
}

async function stopJob(variation) {
  if (!state.job || !state.job.id) return;
  const body = variation == null ? {} : { variation };
  if (variation != null) setCardState(state.cards[variation], 'stopped', 'stopping…');
  try {
    await api(`/api/jobs/${state.job.id}/stop`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body) });
  } catch (e) { showError(e.message); }
}

async function keep(c) {
  if (!c.result) return;
  try {
    await pushStep(c.result, false);
    $('#prompt-events').value = '0';
    $('#prompt-range').value = '0';
    $('#results').innerHTML = '';
    state.cards = [];
    layoutCards();
    refreshLegend();
  } catch (e) { showError(e.message); }
}

async function undo() {
  if (state.history.length < 2) return;
  state.history.pop();
  saveHistory();
  try { setInput(await scoreFromStep(state.history[state.history.length - 1])); } catch (e) { showError(e.message); }
}

// ---- downloads and the tools (Groove, Drumify, Interpolate, Clips: POST /api/tools/<tool>) -------

function setDownloads(c, score) {
  const stem = score.name.replace(/\.midi?$/i, '');
  const m = $('.dl-midi', c.el);
  m.href = `/api/scores/${score.id}/midi`; m.download = score.name; m.hidden = false;
  for (const f of ['wav', 'flac', 'ogg']) {
    const a = $(`.dl-${f}`, c.el);
    a.href = `/api/scores/${score.id}/audio` + (f === 'wav' ? '' : `?format=${f}`);
    a.download = `${stem}.${f}`;
    a.hidden = false;
  }
}

const TOOL_NAMES = { continue: 'Continue', groove: 'Groove', drumify: 'Drumify', interpolate: 'Interpolate', clips: 'Clips',
  infill: 'Infill', accompany: 'Accompany', recording: 'Audio' };

function showPanel(tool) {
  document.querySelectorAll('#tool-tabs button').forEach((b) => {
    const on = b.dataset.tool === tool;
    b.classList.toggle('active', on);
    b.setAttribute('aria-selected', String(on));
  });
  document.querySelectorAll('.panel').forEach((p) => { p.hidden = p.id !== `panel-${tool}`; });
  document.body.dataset.panel = tool;
  showInfillRegion();
}

// One thing at a time: a generation streaming or a tool running disables every start button.
function updateButtons() {
  const busy = Boolean(state.job || state.tool);
  $('#generate').disabled = busy;
  document.querySelectorAll('button.run').forEach((b) => { b.disabled = busy; });
}

function setBusy(tool, text) {
  const status = $('#job-status');
  status.classList.toggle('busy', Boolean(tool));
  status.setAttribute('aria-busy', String(Boolean(tool)));
  if (tool) document.body.dataset.busy = tool; else delete document.body.dataset.busy;
  document.querySelectorAll('button.run').forEach((b) => {
    if (!b.dataset.label) b.dataset.label = b.textContent;
    b.textContent = tool && b.dataset.tool === tool ? 'Working…' : b.dataset.label;
  });
  if (text != null) setJobStatus(text);
  updateButtons();
}

// A fieldset of one checkbox per track of the score (value: the track's index); `checked(t)` says
// which start checked. Tracks without notes are shown disabled.
function renderTrackBoxes(box, score, checked) {
  box.querySelectorAll('label, span').forEach((e) => e.remove());
  if (!score) {
    const s = document.createElement('span');
    s.className = 'muted';
    s.textContent = 'Load a piece first.';
    box.append(s);
    return;
  }
  score.tracks.forEach((t, i) => {
    const label = document.createElement('label');
    label.className = 'check';
    const cb = document.createElement('input');
    cb.type = 'checkbox';
    cb.value = String(i);
    cb.checked = t.notes > 0 && checked(t);
    cb.disabled = t.notes === 0;
    label.append(cb, document.createTextNode(`${t.name || 'Track ' + (i + 1)}`));
    label.title = `${t.instrument}, ${t.notes} notes`;
    box.append(label);
  });
}

const checkedTracks = (id) => [...document.querySelectorAll(`${id} input:checked`)].map((b) => Number(b.value));

// The drumify panel's track boxes: every non-drum track checked (the tool's default), or the drum
// tracks when the piece has nothing else.
function renderDrumifyTracks(score) {
  const pitched = score && score.tracks.some((t) => !t.is_drum && t.notes > 0);
  renderTrackBoxes($('#drumify-tracks'), score, (t) => (pitched ? !t.is_drum : t.is_drum));
}

// ---- Infill and Accompany ------------------------------------------------------------------------

// Infill: the bars (bounded by the piece's bar count) and the tracks to rewrite (all, at first);
// Accompany: the tracks to keep (the first pitched track, at first: a melody to accompany).
function renderInfillAccompany(score) {
  const bars = score ? Math.max(1, score.bars || 1) : 1;
  for (const id of ['#infill-first', '#infill-last']) {
    const el = $(id);
    el.max = String(bars);
    if (!score || Number(el.value) > bars || Number(el.value) < 1) el.value = String(id === '#infill-first' ? 1 : Math.min(bars, 2));
  }
  $('#infill-bars').textContent = score ? `The piece has ${bars} bar${bars > 1 ? 's' : ''}.` : 'Load a piece first.';
  renderTrackBoxes($('#infill-tracks'), score, () => true);
  const melody = score ? score.tracks.findIndex((t) => !t.is_drum && t.notes > 0) : -1;
  renderTrackBoxes($('#accompany-keep'), score, (t) => score.tracks.indexOf(t) === (melody >= 0 ? melody : 0));
  showInfillRegion();
}

// The chosen bars [first, last] (1-based), put in order and within the piece.
function infillBars() {
  const bars = state.input ? Math.max(1, state.input.bars || 1) : 1;
  const clamp = (v) => Math.min(bars, Math.max(1, Math.round(Number(v)) || 1));
  const a = clamp($('#infill-first').value), b = clamp($('#infill-last').value);
  return [Math.min(a, b), Math.max(a, b)];
}

// The passage in beats (bars of the piece's first metre).
function barsToBeats(first, last, score) {
  const bpb = beatsPerBar(score);
  return [(first - 1) * bpb, last * bpb];
}

function showInfillRegion() {
  const on = document.body.dataset.panel === 'infill' && state.input;
  inputRoll.setRegion(on ? barsToBeats(...infillBars(), state.input) : null);
}

function setInfillBars(first, last) {
  $('#infill-first').value = String(Math.min(first, last));
  $('#infill-last').value = String(Math.max(first, last));
  showInfillRegion();
}

// Drag across the input roll (in the Infill tab) to choose the bars.
function wireBarDrag() {
  const canvas = $('#input-card canvas');
  let from = null;
  const barAt = (e) => {
    const bars = Math.max(1, state.input.bars || 1);
    return Math.min(bars, Math.max(1, Math.floor(inputRoll.beatAt(e.clientX) / beatsPerBar(state.input)) + 1));
  };
  canvas.addEventListener('pointerdown', (e) => {
    if (document.body.dataset.panel !== 'infill' || !state.input) return;
    from = barAt(e);
    canvas.setPointerCapture(e.pointerId);
    setInfillBars(from, from);
    e.preventDefault();
  });
  canvas.addEventListener('pointermove', (e) => { if (from != null) setInfillBars(from, barAt(e)); });
  const end = () => { from = null; };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
}

// Interpolate's B: a step of the history, a bundled example, or a file chosen for it.
function renderInterpolateChoices() {
  const sel = $('#interp-b');
  if (!sel) return;
  const keep = sel.value;
  sel.innerHTML = '';
  const group = (label, items) => {
    if (!items.length) return;
    const g = document.createElement('optgroup');
    g.label = label;
    for (const [value, text] of items) {
      const o = document.createElement('option');
      o.value = value; o.textContent = text;
      g.append(o);
    }
    sel.append(g);
  };
  group('Chosen files', state.others.map((o, i) => [`file:${i}`, o.name]));
  group('The piece so far', state.history.map((h, i) => [`step:${i}`, `${i + 1}. ${h.name}`]));
  group('Examples', [...$('#example').options].map((o) => [`example:${o.value}`, o.textContent]));
  if ([...sel.options].some((o) => o.value === keep)) sel.value = keep;
}

async function interpolateB() {
  const v = $('#interp-b').value;
  if (!v) throw new Error('Choose the second piece (B), or a file for it.');
  const at = v.indexOf(':'), kind = v.slice(0, at), key = v.slice(at + 1);
  if (kind === 'file') return state.others[Number(key)];
  if (kind === 'step') return scoreFromStep(state.history[Number(key)]);
  return api('/api/scores', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ example: key }) });
}

async function uploadOther(file) {
  showError('');
  if (!file) return;
  try {
    const score = await api(`/api/scores?name=${encodeURIComponent(file.name)}`, {
      method: 'POST', headers: { 'Content-Type': 'audio/midi' }, body: file });
    state.others.unshift({ id: score.id, name: score.name });
    renderInterpolateChoices();
    $('#interp-b').value = 'file:0';
  } catch (e) {
    showError(e.message.startsWith(file.name) ? e.message : `${file.name}: ${e.message}`);
  } finally {
    $('#interp-file').value = '';
  }
}

function seedOf(id) {
  const v = $(id).value.trim();
  return v === '' ? 'random' : Number(v);
}

function needInput(what) {
  if (!state.input) throw new Error(`${what} works on a piece: load a MIDI file or an example first.`);
  return state.input.id;
}

async function toolBody(tool) {
  const num = (id) => Number($(id).value);
  if (tool === 'groove') return { score: needInput('Groove'), strength: num('#groove-strength') };
  if (tool === 'drumify') {
    const body = { score: needInput('Drumify'), style: $('#drumify-style').value, variations: num('#drumify-variations'),
      drums_only: $('#drumify-drums-only').checked, seed: seedOf('#drumify-seed') };
    const tracks = [...document.querySelectorAll('#drumify-tracks input:checked')].map((b) => Number(b.value));
    if (!tracks.length) throw new Error('Drumify: choose at least one track to follow.');
    body.tracks = tracks;
    if ($('#drumify-temperature').value.trim() !== '') body.temperature = num('#drumify-temperature');
    return body;
  }
  if (tool === 'interpolate') {
    const a = needInput('Interpolate');
    const b = await interpolateB();
    return { a, b: b.id, steps: num('#interp-steps'), temperature: num('#interp-temperature'), seed: seedOf('#interp-seed') };
  }
  if (tool === 'infill') {
    const [first, last] = infillBars();
    const tracks = checkedTracks('#infill-tracks');
    const body = { score: needInput('Infill'), model: $('#model').value || undefined, first_bar: first, last_bar: last, tracks,
      candidates: num('#infill-candidates'), variations: num('#infill-variations'), vary: num('#infill-vary'),
      temperature: num('#infill-temperature'), seed: seedOf('#infill-seed') };
    if (!tracks.length) throw new Error('Infill: choose at least one track to rewrite.');
    return body;
  }
  if (tool === 'accompany') {
    const keep = checkedTracks('#accompany-keep');
    const body = { score: needInput('Accompany'), model: $('#model').value || undefined, keep,
      drums: $('#accompany-drums').value || null, candidates: num('#accompany-candidates'),
      variations: num('#accompany-variations'), temperature: num('#accompany-temperature'), seed: seedOf('#accompany-seed') };
    const ins = $('#accompany-instruments').value.trim();
    if (ins) body.instruments = ins;
    if (!keep.length) throw new Error('Accompany: check at least one track to keep (the part to accompany).');
    return body;
  }
  if (tool === 'recording') {
    if (!state.recording) throw new Error('Audio: drop a recording first.');
    return { recording: state.recording.id, model: $('#model').value || undefined, seconds: num('#audio-seconds'),
      instrument: $('#audio-instrument').value.trim() || 'piano', variations: num('#audio-variations'),
      temperature: num('#audio-temperature'), seed: seedOf('#audio-seed') };
  }
  return { kind: $('#clips-kind').value, bars: num('#clips-bars'), variations: num('#clips-variations'),
    temperature: num('#clips-temperature'), bpm: num('#clips-bpm'), seed: seedOf('#clips-seed') };
}

function toolTitle(tool, i, n, body) {
  if (tool === 'groove') return 'Grooved';
  if (tool === 'drumify') return n > 1 ? `Drums ${i + 1}` : 'Drums';
  if (tool === 'interpolate') return `Step ${i + 1} of ${n}` + (i === 0 ? ' (A)' : i === n - 1 ? ' (B)' : '');
  if (tool === 'infill') return (body.first_bar === body.last_bar ? `Bar ${body.first_bar}` : `Bars ${body.first_bar}–${body.last_bar}`) +
    (n > 1 ? ` · ${i + 1}` : '');
  if (tool === 'accompany') return n > 1 ? `Accompaniment ${i + 1}` : 'Accompaniment';
  if (tool === 'recording') return n > 1 ? `Continued ${i + 1}` : 'Continued';
  return `${body.kind === 'drums' ? 'Drum' : 'Melody'} clip` + (n > 1 ? ` ${i + 1}` : '');
}

async function runTool(tool) {
  showError('');
  if (state.job || state.tool) return;
  state.tool = tool;   // taken at once: a second click while B is being resolved does nothing
  let body;
  try {
    body = await toolBody(tool);
  } catch (e) {
    showError(e.message);
    state.tool = null;
    return;
  }
  stopPlayback();
  const input = state.input;
  setBusy(tool, `${TOOL_NAMES[tool]}: working…`);
  const t0 = performance.now();
  // infill and accompany take seconds: the status line shows how far they are (the server's
  // progress) and their Stop button is live
  const long = tool === 'infill' || tool === 'accompany' || tool === 'recording';
  if (long) $(`#stop-${tool}`).disabled = false;
  const ticker = setInterval(async () => {
    const secs = Math.round((performance.now() - t0) / 1000);
    let text = `${TOOL_NAMES[tool]}: working… ${secs} s`;
    if (long) {
      try {
        const p = await api('/api/tools/progress');
        if (p.running && p.tool === tool && state.tool === tool) {
          text = `${TOOL_NAMES[tool]}: ${Math.floor(100 * p.done)}% · ${p.events} events · ${secs} s` + (p.stopping ? ' · stopping…' : '');
        }
      } catch (e) { /* the status line keeps counting */ }
    }
    if (state.tool === tool) setJobStatus(text);
  }, long ? 400 : 1000);
  try {
    const r = await api(`/api/tools/${tool}`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body) });
    clearInterval(ticker);
    // the notes of the input that a result keeps as they were are drawn dimmed, the rest bright;
    // accompany's result holds the kept tracks first, renumbered in order
    let kept = null;
    if ((tool === 'groove' || tool === 'drumify' || tool === 'infill') && input) kept = new Set(input.notes.map((n) => n.join(':')));
    if (tool === 'accompany' && input) {
      const order = [...new Set(body.keep)].sort((a, b) => a - b);
      kept = new Set(input.notes.filter((n) => order.includes(n[0])).map((n) => [order.indexOf(n[0]), ...n.slice(1)].join(':')));
    }
    // a continued recording holds all that was heard (the transcription, track 0) as it was
    if (tool === 'recording' && input && state.recording && input.id === state.recording.score) kept = new Set(input.notes.map((n) => n.join(':')));
    const region = tool === 'infill' ? barsToBeats(body.first_bar, body.last_bar, input) : null;
    $('#results').innerHTML = '';
    state.cards = r.scores.map((score, i) => {
      const c = makeCard(i, toolTitle(tool, i, r.scores.length, body), tool);
      c.result = score;
      c.extendsInput = Boolean(kept) && !(tool === 'drumify' && body.drums_only) && tool !== 'accompany' && tool !== 'recording';
      c.roll.beatsPerBar = beatsPerBar(score);
      const same = kept ? score.notes.filter((n) => kept.has(n.join(':'))) : [];
      const fresh = kept ? score.notes.filter((n) => !kept.has(n.join(':'))) : score.notes;
      c.roll.set(same, fresh, 0);
      if (region) c.roll.setRegion(region);
      setCardState(c, 'done', TOOL_NAMES[tool].toLowerCase());
      $('.badge', c.el).classList.add('tool');
      $('.meta', c.el).textContent = `${score.notes_total} notes` + (kept ? ` (${fresh.length} new or changed)` : '') +
        ` · ${score.seconds.toFixed(1)} s`;
      $('.play', c.el).disabled = false;
      $('.keep', c.el).disabled = false;
      setDownloads(c, score);
      $('#results').append(c.el);
      return c;
    });
    layoutCards();
    refreshLegend();
    const secs = ((performance.now() - t0) / 1000).toFixed(1);
    setBusy(null, `${TOOL_NAMES[tool]}: ${r.scores.length} result${r.scores.length > 1 ? 's' : ''} in ${secs} s` +
      (r.seed != null ? `, seed ${r.seed}` : '') + (tool === 'recording' ? '. Play one to hear the recording go on.' : '. Keep one to continue from it.'));
  } catch (e) {
    if (e.code === 'cancelled') {
      setBusy(null, `${TOOL_NAMES[tool]}: stopped after ${((performance.now() - t0) / 1000).toFixed(1)} s; nothing was changed.`);
    } else {
      showError(`${TOOL_NAMES[tool]}: ${e.message}`);
      setBusy(null, '');
    }
  } finally {
    clearInterval(ticker);
    if (long) $(`#stop-${tool}`).disabled = true;
    state.tool = null;
    updateButtons();
  }
}

// ---- playback ------------------------------------------------------------------------------------

const player = $('#player');
let playing = null;   // {roll, score, button}

function stopPlayback() {
  if (!playing) return;
  player.pause();
  playing.roll.setPlayhead(null);
  playing.button.textContent = '▶ Play';
  playing = null;
}

function togglePlay(target) {
  const score = target.result;
  const button = $('.play', target.el);
  if (playing && playing.button === button) { stopPlayback(); return; }
  stopPlayback();
  for (const id of ['#audio-original', '#audio-notes']) $(id).pause();
  playing = { roll: target.roll, score, button };
  button.textContent = '■ Pause';
  player.src = `/api/scores/${score.id}/audio`;
  player.play().catch((e) => { showError(`Cannot play: ${e.message}`); stopPlayback(); });
  const tick = () => {
    if (!playing || playing.button !== button) return;
    playing.roll.setPlayhead(secondsToBeat(score.tempos, player.currentTime));
    document.body.dataset.audioTime = player.currentTime.toFixed(2);
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}
player.addEventListener('ended', stopPlayback);
player.addEventListener('error', () => { if (playing) { showError('The audio could not be rendered or played.'); stopPlayback(); } });

// ---- wiring --------------------------------------------------------------------------------------

function updateMode() {
  const mode = document.querySelector('input[name=mode]:checked').value;
  $('#continue-opts').hidden = mode !== 'continue';
  $('#start-opts').hidden = mode !== 'new';
}

async function init() {
  try {
    const m = await api('/api/models');
    const sel = $('#model');
    for (const x of m.models) {
      const o = document.createElement('option');
      o.value = x.name; o.textContent = x.name; o.title = x.description || '';
      sel.append(o);
    }
    sel.value = m.default;
    const info = () => { const x = m.models.find((y) => y.name === sel.value); $('#model-info').textContent = x ? x.description || '' : ''; };
    sel.addEventListener('change', info);
    info();
    if (!m.models.length) showError('No models are installed: see models/README or `continuo models`.');
    const ex = await api('/api/examples');
    for (const e of ex.examples) {
      const o = document.createElement('option');
      o.value = e.name; o.textContent = e.file;
      $('#example').append(o);
    }
    renderInterpolateChoices();
    const st = await api('/api/status');
    $('#events').max = String(st.limits.max_events);
    for (const id of ['#infill-variations', '#accompany-variations', '#audio-variations']) $(id).max = String(st.limits.max_variations);
    $('#server-status').textContent = `${st.jobs.workers} generation slots`;
  } catch (e) {
    showError(`The studio server does not answer: ${e.message}`);
  }
  await restoreHistory();
}

$('#file').addEventListener('change', (e) => upload(e.target.files[0]));
const drop = $('#drop');
drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); upload(e.dataTransfer.files[0]); });
$('#audio-file').addEventListener('change', (e) => uploadRecording(e.target.files[0]));
const audioDrop = $('#audio-drop');
audioDrop.addEventListener('dragover', (e) => { e.preventDefault(); audioDrop.classList.add('over'); });
audioDrop.addEventListener('dragleave', () => audioDrop.classList.remove('over'));
audioDrop.addEventListener('drop', (e) => { e.preventDefault(); audioDrop.classList.remove('over'); uploadRecording(e.dataTransfer.files[0]); });
for (const id of ['#audio-original', '#audio-notes']) $(id).addEventListener('play', stopPlayback);
$('#load-example').addEventListener('click', loadExample);
$('#generate').addEventListener('click', generate);
$('#stop-all').addEventListener('click', () => stopJob(null));
document.querySelectorAll('button.stop-tool').forEach((b) => b.addEventListener('click', async () => {
  b.disabled = true;
  try {
    await api('/api/tools/stop', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
  } catch (e) { showError(e.message); }
}));
$('#undo').addEventListener('click', undo);
$('#clear').addEventListener('click', () => { state.history = []; $('#results').innerHTML = ''; state.cards = []; saveHistory(); setInput(null); layoutCards(); });
$('#layout').addEventListener('change', layoutCards);
document.querySelectorAll('#tool-tabs button').forEach((b) => b.addEventListener('click', () => showPanel(b.dataset.tool)));
document.querySelectorAll('button.run').forEach((b) => b.addEventListener('click', () => runTool(b.dataset.tool)));
$('#groove-strength').addEventListener('input', (e) => { $('#groove-strength-out').textContent = Number(e.target.value).toFixed(2); });
$('#interp-file').addEventListener('change', (e) => uploadOther(e.target.files[0]));
for (const id of ['#infill-first', '#infill-last']) $(id).addEventListener('input', showInfillRegion);
wireBarDrag();
$('#seed-random').addEventListener('change', (e) => { $('#seed').disabled = e.target.checked; });
document.querySelectorAll('input[name=mode]').forEach((r) => r.addEventListener('change', updateMode));
$('#prompt-range').addEventListener('input', (e) => { $('#prompt-events').value = e.target.value; });
$('#prompt-events').addEventListener('input', (e) => { $('#prompt-range').value = e.target.value; });
$('.play', $('#input-card')).addEventListener('click', () => togglePlay({ result: state.input, roll: inputRoll, el: $('#input-card') }));
window.addEventListener('beforeunload', () => { if (state.job) state.job.controller.abort(); });
init();
