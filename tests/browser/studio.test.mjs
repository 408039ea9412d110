// Browser test of the studio: Debian's chromium driven by playwright-core.
//   node studio.test.mjs CONTINUO_BINARY SOURCE_ROOT SCRATCH_DIR
// Loads the page, uploads the bundled example, generates two variations and watches notes appear
// in both rolls while they stream, stops one early, plays the audio (the playhead moves),
// downloads the MIDI and checks that it parses, keeps a variation and continues it, undoes,
// reloads (the history survives), and uploads a file that is not MIDI (a readable error). Then every
// tool through its panel (Groove, Drumify, Interpolate, Clips): set the options, run (busy state
// while it works), see the notes in the rolls, check what the tool promises about the notes, play,
// download MIDI (read back byte by byte here) and audio (WAV, FLAC, Ogg), keep, continue, undo, and
// a tool's error from the server shown in the page. Infill: bars chosen by dragging across the
// input roll, tracks by checkboxes, the passage shaded in the rolls, every note outside it kept;
// Accompany: the kept track note for note, the new instruments and drum kit, busy while it works.
// Audio: a rendered recording dropped on the panel, heard (its notes in the roll, the recording
// played back), continued in two variations, played, downloaded (the recording unchanged up to the
// seam), and a file that is not a recording refused.
// $CONTINUO_SCREENSHOTS=DIR writes the screenshots there (docs/ uses them); $STUDIO_MODELS=DIR
// serves those models instead of a random-weight one (the tools' networks are always the shipped ones).
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { chromium } from 'playwright-core';

const [binary, root, scratch] = process.argv.slice(2);
fs.mkdirSync(scratch, { recursive: true });
const shots = process.env.CONTINUO_SCREENSHOTS || scratch;
const failures = [];
const check = (cond, what) => {
  if (!cond) { failures.push(what); console.log(`FAIL: ${what}`); } else console.log(`ok: ${what}`);
};
const t0 = Date.now();

// a random-weight model big enough that streaming takes a few seconds
let modelsDir = process.env.STUDIO_MODELS;
if (!modelsDir) {
  modelsDir = path.join(scratch, 'models');
  if (!fs.existsSync(path.join(modelsDir, 'tiny', 'model.safetensors'))) {
    execFileSync('python3', [path.join(root, 'tools', 'make_random_model.py'), path.join(modelsDir, 'tiny'),
      '--name', 'tiny', '--d-model', '128', '--layers', '3'], { stdio: 'inherit' });
  }
  // the tools' networks (Groove, Drumify, the clip VAEs) are the shipped ones
  for (const m of ['groove', 'drumify', 'melody-vae', 'drums-vae']) {
    const link = path.join(modelsDir, m);
    if (!fs.existsSync(link)) fs.symlinkSync(path.join(root, 'models', m), link);
  }
}

// A Standard MIDI File read here, independently of Continuo: every note-on with its track chunk
// and channel (0-based: 9 is the drums' channel 10).
function readMidi(buf) {
  if (buf.toString('latin1', 0, 4) !== 'MThd') throw new Error('no MThd header');
  const chunks = buf.readUInt16BE(10);
  let at = 8 + buf.readUInt32BE(4);
  const notes = [];
  for (let t = 0; t < chunks; t++) {
    if (buf.toString('latin1', at, at + 4) !== 'MTrk') throw new Error(`chunk ${t} is not MTrk`);
    const end = at + 8 + buf.readUInt32BE(at + 4);
    let p = at + 8, status = 0;
    const vlq = () => { let v = 0, b; do { b = buf[p++]; v = v * 128 + (b & 0x7f); } while (b & 0x80 && p < end); return v; };
    while (p < end) {
      vlq();
      if (buf[p] & 0x80) status = buf[p++];
      // (the length is read first: `p += vlq()` would add it to p as it was before vlq() moved it)
      if (status === 0xff) { p++; const len = vlq(); p += len; status = 0; continue; }
      if (status === 0xf0 || status === 0xf7) { const len = vlq(); p += len; status = 0; continue; }
      const hi = status & 0xf0;
      if (hi === 0x90 && buf[p + 1] > 0) notes.push({ chunk: t, channel: status & 15, pitch: buf[p] });
      p += hi === 0xc0 || hi === 0xd0 ? 1 : 2;
    }
    at = end;
  }
  return { chunks, notes };
}

// A one-track melody of `bars` bars of 4/4, one note a beat (Interpolate's B).
function melodyMidi(bars) {
  const ev = [];
  for (let i = 0; i < bars * 4; i++) ev.push(0x00, 0x90, 60 + [0, 2, 4, 5, 7, 5, 4, 2][i % 8], 90, 0x83, 0x60, 0x80, 60 + [0, 2, 4, 5, 7, 5, 4, 2][i % 8], 0);
  ev.push(0x00, 0xff, 0x2f, 0x00);
  const head = Buffer.from([0x4d, 0x54, 0x68, 0x64, 0, 0, 0, 6, 0, 0, 0, 1, 0x01, 0xe0]);
  const trk = Buffer.concat([Buffer.from('MTrk'), Buffer.from([0, 0, (ev.length >> 8) & 255, ev.length & 255]), Buffer.from(ev)]);
  return Buffer.concat([head, trk]);
}

const server = spawn(binary, ['serve', '--port', '0', '--models', modelsDir], { stdio: ['ignore', 'pipe', 'inherit'] });
const port = await new Promise((resolve, reject) => {
  const rl = readline.createInterface({ input: server.stdout });
  rl.once('line', (line) => {
    const m = line.match(/:(\d+)\/$/);
    if (m) resolve(Number(m[1])); else reject(new Error(`server said: ${line}`));
  });
  server.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
});
const base = `http://127.0.0.1:${port}`;
const chromePath = process.env.CHROMIUM || '/usr/bin/chromium';
const browser = await chromium.launch({
  executablePath: chromePath,
  args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required', '--disable-gpu'],
});

async function waitFor(page, fn, arg, what, timeout = 60000) {
  try {
    return await page.waitForFunction(fn, arg, { timeout, polling: 50 });
  } catch (e) {
    check(false, `${what} (timed out)`);
    return null;
  }
}

try {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  const outside = [];
  page.on('request', (r) => { if (!r.url().startsWith(base) && !r.url().startsWith('blob:') && !r.url().startsWith('data:')) outside.push(r.url()); });
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));

  // ---- load the page
  await page.goto(base + '/');
  await waitFor(page, () => document.querySelectorAll('#model option').length > 0 && document.querySelectorAll('#example option').length > 0,
    null, 'models and examples listed');
  check(await page.title() === 'Continuo Studio', 'the page loads');

  // ---- upload the bundled example
  await page.setInputFiles('#file', path.join(root, 'examples', 'example.mid'));
  await waitFor(page, () => document.querySelector('#score-info').textContent.includes('example.mid'), null, 'the upload is shown');
  const promptNotes = Number(await page.getAttribute('#input-card canvas', 'data-prompt-notes'));
  check(promptNotes > 20, `the input roll shows the example (${promptNotes} notes)`);
  check(await page.locator('#legend label').count() > 0, 'the track legend lists the tracks');

  // ---- two variations, streamed
  await page.fill('#events', '4000');   // long enough to still be streaming on a fast machine
  await page.selectOption('#variations', '2');
  await page.uncheck('#seed-random');
  await page.fill('#seed', '7');
  await page.fill('#prompt-events', '60');
  await page.click('#generate');
  const streaming = await waitFor(page, () => {
    const cards = [...document.querySelectorAll('.card.variation')];
    return cards.length === 2 && cards.every((c) => c.dataset.state === 'streaming' && Number(c.querySelector('canvas').dataset.notes) > 0);
  }, null, 'notes appear in both rolls while they stream');
  if (streaming) {
    // stop the second variation early, at once: the studio streams thousands of events a second
    // (since the server sets TCP_NODELAY, the stream is not held back by delayed ACKs), so a
    // screenshot and a few clicks first can outlast the whole generation
    await page.click('.card.variation[data-variation="1"] .stop');
    const counts = await page.$$eval('.card.variation canvas', (cs) => cs.map((c) => Number(c.dataset.notes)));
    check(counts.every((n) => n > 0), `both rolls have new notes while streaming: ${counts}`);
    const promptShown = await page.$$eval('.card.variation canvas', (cs) => cs.map((c) => Number(c.dataset.promptNotes)));
    check(promptShown.every((n) => n > 0 && n < promptNotes), `the prompt (first 60 events) is shown in the rolls: ${promptShown}`);
    await page.screenshot({ path: path.join(shots, 'studio-streaming.png') });
    // hide a track: the checkbox toggles drawing
    await page.locator('#legend input').first().uncheck();
    await page.locator('#legend input').first().check();
  }
  await waitFor(page, () => {
    const cards = [...document.querySelectorAll('.card.variation')];
    return cards.length === 2 && cards[0].dataset.state === 'done' && cards[1].dataset.state === 'stopped' &&
      !cards[1].querySelector('.dl-midi').hidden;
  }, null, 'variation 1 finishes, variation 2 is stopped with its result', 120000);
  const events = await page.$$eval('.card.variation', (cs) => cs.map((c) => Number(c.dataset.events)));
  check(events[0] === 4000 && events[1] > 0 && events[1] < 4000, `stopped early: events ${events}`);
  await page.screenshot({ path: path.join(shots, 'studio.png') });

  // ---- play the audio; the playhead follows
  await page.click('.card.variation[data-variation="0"] .play');
  const played = await waitFor(page, () => Number(document.body.dataset.audioTime || 0) > 0.5 &&
    Number(document.querySelector('.card.variation[data-variation="0"] canvas').dataset.playhead || 0) > 0,
  null, 'the audio plays and the playhead moves', 60000);
  if (played) check(true, 'audio plays with a moving playhead');
  await page.click('.card.variation[data-variation="0"] .play');   // pause

  // ---- download the MIDI and the audio
  const [midiDl] = await Promise.all([page.waitForEvent('download'), page.click('.card.variation[data-variation="0"] .dl-midi')]);
  const midiPath = path.join(scratch, 'downloaded.mid');
  await midiDl.saveAs(midiPath);
  const info = JSON.parse(execFileSync(binary, ['info', '--json', midiPath]).toString());
  const resultNotes = await page.evaluate(() => state.cards[0].result.notes_total);
  check(info.notes === resultNotes && info.notes > promptNotes / 2, `the downloaded MIDI parses: ${info.notes} notes (page: ${resultNotes})`);
  const [wavDl] = await Promise.all([page.waitForEvent('download'), page.click('.card.variation[data-variation="0"] .dl-wav')]);
  const wavPath = path.join(scratch, 'downloaded.wav');
  await wavDl.saveAs(wavPath);
  const wav = fs.readFileSync(wavPath);
  check(wav.subarray(0, 4).toString() === 'RIFF' && wav.length > 44100, `the downloaded audio is a WAV (${wav.length} bytes)`);

  // ---- keep a variation, continue it, undo; the history survives a reload
  await page.click('.card.variation[data-variation="0"] .keep');
  await waitFor(page, () => document.querySelectorAll('#history li').length === 2, null, 'keep adds a step to the history');
  await page.fill('#events', '40');
  await page.selectOption('#variations', '1');
  await page.click('#generate');
  await waitFor(page, () => { const c = document.querySelector('.card.variation'); return c && c.dataset.state === 'done'; },
    null, 'the kept piece is continued');
  await page.click('.card.variation .keep');
  await waitFor(page, () => document.querySelectorAll('#history li').length === 3, null, 'a third step');
  await page.click('#undo');
  const current = () => {
    const items = document.querySelectorAll('#history li');
    return items.length === 2 && document.querySelector('#score-info').textContent.startsWith(items[1].textContent + ':');
  };
  await waitFor(page, current, null, 'undo goes back to the kept variation');
  const before = await page.textContent('#score-info');
  await page.reload();
  await waitFor(page, current, null, 'the history survives a reload');
  check(await page.textContent('#score-info') === before, `the same piece is loaded after the reload: ${before}`);

  // ---- the tools, each through its own panel
  const noteKey = (n) => n.join(':');
  const cards = (tool) => `.card.tool[data-tool="${tool}"]`;
  async function openTool(tool) {
    await page.click(`#tool-tabs button[data-tool="${tool}"]`);
    const shown = await page.isVisible(`#panel-${tool}`) && await page.isHidden('#panel-continue');
    check(shown, `${tool}: its panel opens (and the continue panel hides)`);
  }
  // runs the tool (its button), waits for n result cards, returns their scores; `fresh`: every
  // roll must show new notes (infill may leave a passage emptier than it was)
  async function runTool(tool, n, fresh = true) {
    await page.click(`#run-${tool}`);
    const done = await waitFor(page, ([sel, k]) => {
      const cs = [...document.querySelectorAll(sel)];
      return cs.length === k && cs.every((c) => c.dataset.state === 'done' && !c.querySelector('.dl-midi').hidden) &&
        !document.body.dataset.busy;
    }, [cards(tool), n], `${tool}: ${n} result card(s)`);
    if (!done) return [];
    const rolls = await page.$$eval(`${cards(tool)} canvas`, (cs) => cs.map((c) => [Number(c.dataset.notes), Number(c.dataset.promptNotes)]));
    const scores = await page.evaluate(() => state.cards.map((c) => c.result));
    check(rolls.every(([bright, same], i) => (bright > 0 || !fresh) && same + bright > 0 && bright + same === scores[i].notes.length),
      `${tool}: the notes appear in every result's roll (${rolls.map((r) => r.join('+'))})`);
    return scores;
  }
  async function download(selector, file) {
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
    const where = path.join(scratch, file);
    await dl.saveAs(where);
    return fs.readFileSync(where);
  }
  // MIDI read back: the header, and the notes of each channel as the score JSON has them
  async function checkMidi(tool, cardSel, score) {
    const bytes = await download(`${cardSel} .dl-midi`, `${tool}.mid`);
    check(bytes.subarray(0, 4).toString('latin1') === 'MThd', `${tool}: the MIDI download starts with MThd`);
    let midi = { notes: [] };
    try { midi = readMidi(bytes); } catch (e) { check(false, `${tool}: the MIDI download reads back: ${e.message}`); }
    const drum = new Set(score.tracks.map((t, i) => (t.is_drum ? i : -1)));
    const drumNotes = score.notes.filter((n) => drum.has(n[0])).length;
    const ch10 = midi.notes.filter((n) => n.channel === 9).length;
    check(midi.notes.length === score.notes_total && ch10 === drumNotes,
      `${tool}: the MIDI holds the score's notes (${midi.notes.length} of ${score.notes_total}), on channel 10 exactly its drum tracks' (${ch10} of ${drumNotes})`);
    return midi;
  }
  async function playBriefly(tool, cardSel) {
    await page.click(`${cardSel} .play`);
    const ok = await waitFor(page, (sel) => Number(document.body.dataset.audioTime || 0) > 0.3 &&
      Number(document.querySelector(`${sel} canvas`).dataset.playhead || 0) > 0, cardSel, `${tool}: plays with a moving playhead`);
    if (ok) check(true, `${tool}: the result plays`);
    await page.click(`${cardSel} .play`);
    await page.evaluate(() => { delete document.body.dataset.audioTime; });
  }
  const historyLength = () => page.$$eval('#history li', (l) => l.length);
  async function keepCard(tool, cardSel, steps, score) {
    await page.click(`${cardSel} .keep`);
    await waitFor(page, ([n, name]) => document.querySelectorAll('#history li').length === n &&
      document.querySelector('#score-info').textContent.startsWith(name + ':'), [steps, score.name], `${tool}: keep makes it the piece (step ${steps})`);
    const input = Number(await page.getAttribute('#input-card canvas', 'data-prompt-notes'));
    check(input === score.notes.length, `${tool}: the kept piece is the input (${input} notes)`);
  }
  async function undoTo(tool, steps, name) {
    await page.click('#undo');
    await waitFor(page, ([n, nm]) => document.querySelectorAll('#history li').length === n &&
      document.querySelector('#score-info').textContent.startsWith(nm + ':'), [steps, name], `${tool}: undo goes back to ${name}`);
  }

  await page.selectOption('#example', 'example');
  await page.click('#load-example');
  await waitFor(page, () => document.querySelectorAll('#history li').length === 1 &&
    document.querySelector('#score-info').textContent.startsWith('example.mid:'), null, 'the example is loaded afresh');
  const example = await page.evaluate(() => state.input);

  // Groove: the drums move, every hit keeps its instrument; the other tracks are untouched
  await openTool('groove');
  await page.locator('#groove-strength').fill('1.5');
  check(await page.textContent('#groove-strength-out') === '1.50', 'groove: the strength slider shows its value');
  await page.route('**/api/tools/groove', async (r) => { await new Promise((res) => setTimeout(res, 1500)); await r.continue(); });
  await page.click('#run-groove');
  const busy = await waitFor(page, () => document.body.dataset.busy === 'groove' && document.querySelector('#run-groove').disabled &&
    document.querySelector('#generate').disabled && document.querySelector('#job-status').classList.contains('busy') &&
    /working/i.test(document.querySelector('#job-status').textContent), null, 'groove: busy while it runs', 10000);
  if (busy) check(true, 'groove: the page shows that it is working and blocks other runs');
  await waitFor(page, (sel) => document.querySelectorAll(sel).length === 1 && !document.body.dataset.busy, cards('groove'), 'groove: done');
  await page.unroute('**/api/tools/groove');
  const grooved = await page.evaluate(() => state.cards.map((c) => c.result));
  check(grooved.length === 1, 'groove: one result');
  if (grooved.length === 1) {
    const g = grooved[0];
    const isDrum = (sc) => (n) => sc.tracks[n[0]].is_drum;
    const pitches = (list) => list.map((n) => n[1]).sort((a, b) => a - b).join(',');
    const inDrums = example.notes.filter(isDrum(example)), outDrums = g.notes.filter(isDrum(g));
    check(inDrums.length > 20 && pitches(inDrums) === pitches(outDrums), `groove: every hit keeps its instrument (${outDrums.length} hits)`);
    const others = (sc) => sc.notes.filter((n) => !sc.tracks[n[0]].is_drum).map(noteKey).sort().join('|');
    check(others(example) === others(g), 'groove: the other tracks are unchanged');
    const moved = new Set(inDrums.map(noteKey));
    check(outDrums.filter((n) => !moved.has(noteKey(n))).length > inDrums.length / 2, 'groove: most hits moved or changed dynamics');
    const fresh = Number(await page.getAttribute(`${cards('groove')} canvas`, 'data-notes'));
    check(fresh === outDrums.filter((n) => !moved.has(noteKey(n))).length, `groove: the roll shows the changed hits bright (${fresh})`);
    await page.screenshot({ path: path.join(shots, 'studio-groove.png') });
    await playBriefly('groove', cards('groove'));
    await checkMidi('groove', cards('groove'), g);
    const flac = await download(`${cards('groove')} .dl-flac`, 'groove.flac');
    check(flac.subarray(0, 4).toString('latin1') === 'fLaC' && flac.length > 10000, `groove: the FLAC download is FLAC (${flac.length} bytes)`);
    const wav = await download(`${cards('groove')} .dl-wav`, 'groove.wav');
    check(wav.subarray(0, 4).toString('latin1') === 'RIFF' && wav.length > flac.length, `groove: the WAV download is a WAV (${wav.length} bytes)`);
    await keepCard('groove', cards('groove'), 2, g);
    await undoTo('groove', 1, 'example.mid');
  }

  // Drumify: follow the bass only, two variations of funk; the input's tracks are kept as they were
  await openTool('drumify');
  const boxes = await page.$$eval('#drumify-tracks input', (l) => l.map((b) => b.checked));
  check(JSON.stringify(boxes) === JSON.stringify(example.tracks.map((t) => !t.is_drum)), `drumify: the non-drum tracks are followed by default (${boxes})`);
  const bass = example.tracks.findIndex((t) => t.name === 'Bass');
  for (let i = 0; i < boxes.length; i++) await page.setChecked(`#drumify-tracks input[value="${i}"]`, i === bass);
  await page.selectOption('#drumify-style', 'funk');
  await page.fill('#drumify-variations', '2');
  await page.fill('#drumify-seed', '5');
  const body = [];
  page.on('request', (r) => { if (r.url().endsWith('/api/tools/drumify')) body.push(JSON.parse(r.postData())); });
  const drummed = await runTool('drumify', 2);
  check(body.length === 1 && JSON.stringify(body[0].tracks) === JSON.stringify([bass]) && body[0].style === 'funk' &&
    body[0].variations === 2 && body[0].seed === 5 && body[0].drums_only === false, `drumify: the request carries the panel's options ${JSON.stringify(body[0])}`);
  const inputKeys = new Set(example.notes.map(noteKey));
  drummed.forEach((d, i) => {
    const kept = d.notes.filter((n) => inputKeys.has(noteKey(n))).length;
    const added = d.notes.filter((n) => !inputKeys.has(noteKey(n)));
    check(kept === example.notes.length && d.tracks.length === example.tracks.length + 1 && d.tracks[d.tracks.length - 1].is_drum,
      `drumify ${i + 1}: every input note is kept unchanged (${kept} of ${example.notes.length}) and one drum track is added`);
    check(added.length > 0 && added.every((n) => n[0] === d.tracks.length - 1), `drumify ${i + 1}: the new notes (${added.length}) are all on the new drum track`);
  });
  if (drummed.length === 2) {
    check(await page.locator('#legend label').count() === example.tracks.length + 1, 'drumify: the legend lists the new drum track');
    // the track toggles apply to the results' rolls
    const sel = `${cards('drumify')}[data-variation="0"] canvas`;
    const pic = () => page.$eval(sel, (c) => c.toDataURL());
    const before = await pic();
    await page.setChecked(`#legend input[data-track="${example.tracks.length}"]`, false);
    const hiddenPic = await pic();
    await page.setChecked(`#legend input[data-track="${example.tracks.length}"]`, true);
    check(hiddenPic !== before && await pic() === before, 'drumify: hiding the new drum track in the legend hides it in the roll');
    await page.screenshot({ path: path.join(shots, 'studio-drumify.png') });
    await playBriefly('drumify', `${cards('drumify')}[data-variation="1"]`);
    await checkMidi('drumify', `${cards('drumify')}[data-variation="1"]`, drummed[1]);
    // keep the second, continue it with the model, undo the continuation
    await keepCard('drumify', `${cards('drumify')}[data-variation="1"]`, 2, drummed[1]);
    await page.click('#tool-tabs button[data-tool="continue"]');
    await page.fill('#events', '40');
    await page.selectOption('#variations', '1');
    await page.fill('#prompt-events', '0');
    await page.click('#generate');
    await waitFor(page, () => { const c = document.querySelector('.card.variation'); return c && c.dataset.state === 'done'; },
      null, 'drumify: the kept drums are continued');
    const cont = await page.evaluate(() => state.cards[0].result);
    check(cont && cont.tracks.length === drummed[1].tracks.length && cont.notes.length >= drummed[1].notes.length,
      'drumify: the continuation keeps the drumified tracks');
    await page.click('.card.variation .keep');
    await waitFor(page, () => document.querySelectorAll('#history li').length === 3, null, 'drumify: the continuation is kept');
    await undoTo('drumify', 2, drummed[1].name);
  }
  // drums only: nothing but drums, on channel 10
  await openTool('drumify');
  await page.check('#drumify-drums-only');
  await page.fill('#drumify-variations', '1');
  const alone = await runTool('drumify', 1);
  if (alone.length === 1) {
    check(alone[0].tracks.length === 1 && alone[0].tracks.every((t) => t.is_drum), 'drumify, drums only: the result is one drum track');
    const midi = await checkMidi('drumify-only', cards('drumify'), alone[0]);
    check(midi.notes.length > 0 && midi.notes.every((n) => n.channel === 9), 'drumify, drums only: the MIDI has only channel-10 notes');
  }
  await page.uncheck('#drumify-drums-only');

  // Interpolate: the current piece (A) to a file chosen for B, in 3 steps
  await openTool('interpolate');
  const pieceA = await page.evaluate(() => state.input.name);
  check(await page.textContent("#interp-a") === pieceA, `interpolate: A is the current piece (${pieceA})`);
  await page.setInputFiles('#interp-file', { name: 'line.mid', mimeType: 'audio/midi', buffer: melodyMidi(8) });
  await waitFor(page, () => document.querySelector('#interp-b').value === 'file:0' &&
    document.querySelector('#interp-b').selectedOptions[0].textContent === 'line.mid', null, 'interpolate: the chosen file is B');
  await page.fill('#interp-steps', '3');
  await page.fill('#interp-seed', '2');
  const path3 = await runTool('interpolate', 3);
  if (path3.length === 3) {
    check(path3.every((p) => p.tracks.length === 1 && !p.tracks[0].is_drum && p.notes.length > 0), 'interpolate: three one-track melody clips');
    const titles = await page.$$eval(`${cards('interpolate')} header strong`, (l) => l.map((e) => e.textContent));
    check(titles[0].endsWith('(A)') && titles[2].endsWith('(B)'), `interpolate: the steps are named from A to B: ${titles}`);
    await page.screenshot({ path: path.join(shots, 'studio-interpolate.png') });
    await playBriefly('interpolate', `${cards('interpolate')}[data-variation="2"]`);
    await checkMidi('interpolate', `${cards('interpolate')}[data-variation="2"]`, path3[2]);
    const ogg = await download(`${cards('interpolate')}[data-variation="2"] .dl-ogg`, 'interpolate.ogg');
    check(ogg.subarray(0, 4).toString('latin1') === 'OggS' && ogg.length > 2000, `interpolate: the OGG download is Ogg (${ogg.length} bytes)`);
    await keepCard('interpolate', `${cards('interpolate')}[data-variation="2"]`, 3, path3[2]);
    await undoTo('interpolate', 2, drummed.length === 2 ? drummed[1].name : pieceA);
  }

  // Clips: drums (two of 4 bars), then a melody clip, kept; Groove on it fails with the server's message
  await openTool('clips');
  await page.selectOption('#clips-kind', 'drums');
  await page.fill('#clips-bars', '4');
  await page.fill('#clips-variations', '2');
  await page.fill('#clips-seed', '9');
  const beats = await runTool('clips', 2);
  if (beats.length === 2) {
    check(beats.every((b) => b.tracks.every((t) => t.is_drum) && b.bars === 4), 'clips: two 4-bar drum clips, drums only');
    for (const v of [0, 1]) {
      const midi = await checkMidi(`clips ${v + 1}`, `${cards('clips')}[data-variation="${v}"]`, beats[v]);
      check(midi.notes.length > 0 && midi.notes.every((n) => n.channel === 9), `clips ${v + 1}: the MIDI has only channel-10 notes`);
    }
    check(JSON.stringify(beats[0].notes) !== JSON.stringify(beats[1].notes), 'clips: the two variations differ');
    const legend = await page.$$eval('#legend label', (l) => l.map((e) => e.textContent));
    check(legend.length === Math.max(...beats.map((b) => b.tracks.length)) && legend.every((t) => t.includes('Drum kit')),
      `clips: the legend lists the clips' own tracks, not the input's (${legend})`);
    await page.screenshot({ path: path.join(shots, 'studio-clips.png') });
    await playBriefly('clips', `${cards('clips')}[data-variation="0"]`);
  }
  await page.selectOption('#clips-kind', 'melody');
  await page.fill('#clips-variations', '1');
  const tunes = await runTool('clips', 1);
  if (tunes.length === 1) {
    check(tunes[0].tracks.every((t) => !t.is_drum), 'clips: a melody clip has no drums');
    const steps = await historyLength();
    await keepCard('clips', cards('clips'), steps + 1, tunes[0]);
    await openTool('groove');
    await page.click('#run-groove');
    await waitFor(page, () => !document.querySelector('#error').hidden, null, 'groove on a melody: an error is shown');
    const msg = await page.textContent('#error');
    check(/^Groove: .*drum/i.test(msg), `groove on a melody: the server's message is shown: "${msg}"`);
    check(!(await page.isDisabled('#run-groove')) && !(await page.evaluate(() => document.body.dataset.busy)), 'groove: not busy after the error');
    await page.click('#undo');
    await waitFor(page, (n) => document.querySelectorAll('#history li').length === n, steps, 'clips: undo the kept clip');
  }

  // ---- Infill: drag bars 3-4 on the input roll, rewrite the piano and the flute
  await page.selectOption('#example', 'example');
  await page.click('#load-example');
  await waitFor(page, () => document.querySelectorAll('#history li').length === 1 &&
    document.querySelector('#score-info').textContent.startsWith('example.mid:'), null, 'infill: the example is loaded afresh');
  await openTool('infill');
  check(await page.getAttribute('#infill-first', 'max') === String(example.bars) && await page.getAttribute('#infill-last', 'max') === String(example.bars),
    `infill: the bar inputs are bounded by the piece's ${example.bars} bars`);
  const infillBoxes = await page.$$eval('#infill-tracks input', (l) => l.map((b) => b.checked));
  check(infillBoxes.length === example.tracks.length && infillBoxes.every(Boolean), `infill: every track is rewritten by default (${infillBoxes})`);
  {
    const box = await page.locator('#input-card canvas').boundingBox();
    const span = await page.evaluate(() => inputRoll.viewBeats);
    const xAt = (beat) => box.x + (beat / span) * box.width;
    const y = box.y + box.height / 2;
    await page.mouse.move(xAt(10), y);   // in bar 3 (beats 8-12)
    await page.mouse.down();
    await page.mouse.move(xAt(12.5), y, { steps: 4 });
    await page.mouse.move(xAt(14), y, { steps: 4 });   // in bar 4
    await page.mouse.up();
  }
  check(await page.inputValue('#infill-first') === '3' && await page.inputValue('#infill-last') === '4',
    `infill: dragging across the roll chooses bars 3-4 (${await page.inputValue('#infill-first')}-${await page.inputValue('#infill-last')})`);
  check(await page.getAttribute('#input-card canvas', 'data-region') === '8-16', 'infill: the chosen bars are shaded on the input roll');
  for (let i = 0; i < example.tracks.length; i++) await page.setChecked(`#infill-tracks input[value="${i}"]`, i < 2);
  await page.fill('#infill-candidates', '4');
  await page.fill('#infill-variations', '2');
  await page.fill('#infill-vary', '0.25');
  await page.fill('#infill-temperature', '1');
  await page.fill('#infill-seed', '7');
  const infillBody = [];
  page.on('request', (r) => { if (r.url().endsWith('/api/tools/infill')) infillBody.push(JSON.parse(r.postData())); });
  const infilled = await runTool('infill', 2, false);
  check(infillBody.length === 1 && infillBody[0].first_bar === 3 && infillBody[0].last_bar === 4 &&
    JSON.stringify(infillBody[0].tracks) === '[0,1]' && infillBody[0].candidates === 4 && infillBody[0].variations === 2 &&
    infillBody[0].vary === 0.25 && infillBody[0].temperature === 1 && infillBody[0].seed === 7, `infill: the request carries the panel's options ${JSON.stringify(infillBody[0])}`);
  if (infilled.length === 2) {
    const outsideOf = (sc, tracks) => sc.notes.filter((n) => tracks.includes(n[0]) && (n[2] < 8 - 0.1 || n[2] >= 16 + 0.1)).map(noteKey).sort().join('|');
    const tracksOf = (sc, tracks) => sc.notes.filter((n) => tracks.includes(n[0])).map(noteKey).sort().join('|');
    infilled.forEach((r, i) => {
      check(tracksOf(r, [2, 3]) === tracksOf(example, [2, 3]), `infill ${i + 1}: the tracks not chosen are unchanged`);
      check(outsideOf(r, [0, 1]) === outsideOf(example, [0, 1]), `infill ${i + 1}: the chosen tracks are unchanged outside bars 3-4`);
    });
    const insideOf = (sc) => sc.notes.filter((n) => n[0] < 2 && n[2] >= 8 + 0.1 && n[2] < 16 - 0.1).map(noteKey).sort().join('|');
    check(infilled.some((r) => insideOf(r) !== insideOf(example)), 'infill: bars 3-4 of the chosen tracks are written anew');
    const bright = await page.$$eval(`${cards('infill')} canvas`, (cs) => cs.map((c) => Number(c.dataset.notes)));
    infilled.forEach((r, i) => {
      const before = new Set(example.notes.map(noteKey));
      check(bright[i] === r.notes.filter((n) => !before.has(noteKey(n))).length, `infill ${i + 1}: the new notes are drawn bright (${bright[i]})`);
    });
    const regions = await page.$$eval(`${cards('infill')} canvas`, (cs) => cs.map((c) => c.dataset.region));
    check(regions.every((r) => r === '8-16'), `infill: the passage is shaded on the result rolls (${regions})`);
    const titles = await page.$$eval(`${cards('infill')} header strong`, (l) => l.map((e) => e.textContent));
    check(titles[0].startsWith('Bars 3–4'), `infill: the cards name the bars (${titles})`);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(shots, 'studio-infill.png') });
    await playBriefly('infill', `${cards('infill')}[data-variation="0"]`);
    await checkMidi('infill', `${cards('infill')}[data-variation="0"]`, infilled[0]);
    await keepCard('infill', `${cards('infill')}[data-variation="0"]`, 2, infilled[0]);
    // the shading follows the kept piece and the tab
    await page.click('#tool-tabs button[data-tool="continue"]');
    check(await page.getAttribute('#input-card canvas', 'data-region') === '', 'infill: no shading outside the Infill tab');
    await undoTo('infill', 1, 'example.mid');
  }

  // ---- Accompany: keep the flute, add piano, bass and a jazz kit
  await openTool('accompany');
  const keepBoxes = await page.$$eval('#accompany-keep input', (l) => l.map((b) => b.checked));
  check(JSON.stringify(keepBoxes) === JSON.stringify(example.tracks.map((t, i) => i === 0)), `accompany: the first pitched track is kept by default (${keepBoxes})`);
  check(await page.getAttribute('#accompany-instruments', 'placeholder') === 'piano, acoustic bass', 'accompany: the instruments field has a placeholder');
  const flute = example.tracks.findIndex((t) => t.name === 'Flute');
  for (let i = 0; i < example.tracks.length; i++) await page.setChecked(`#accompany-keep input[value="${i}"]`, i === flute);
  // a server error is shown with its message, and the page is usable again
  await page.fill('#accompany-instruments', 'kazoo');
  await page.click('#run-accompany');
  await waitFor(page, () => !document.querySelector('#error').hidden && !document.body.dataset.busy, null, 'accompany: an unknown instrument is an error');
  const accErr = await page.textContent('#error');
  check(/^Accompany: .*kazoo/.test(accErr), `accompany: the server's message is shown: "${accErr}"`);
  await page.fill('#accompany-instruments', 'piano, acoustic bass');
  await page.selectOption('#accompany-drums', 'jazz');
  await page.fill('#accompany-candidates', '2');
  await page.fill('#accompany-variations', '1');
  await page.fill('#accompany-seed', '3');
  await page.route('**/api/tools/accompany', async (r) => { await new Promise((res) => setTimeout(res, 2500)); await r.continue(); });
  const accBody = [];
  page.on('request', (r) => { if (r.url().endsWith('/api/tools/accompany')) accBody.push(JSON.parse(r.postData())); });
  await page.click('#run-accompany');
  const accBusy = await waitFor(page, () => document.body.dataset.busy === 'accompany' && document.querySelector('#run-accompany').disabled &&
    document.querySelector('#run-accompany').textContent === 'Working…' &&
    /^Accompany: working… [1-9]/.test(document.querySelector('#job-status').textContent), null, 'accompany: busy, counting seconds, while it runs', 10000);
  if (accBusy) check(true, 'accompany: the page shows that it is working');
  await waitFor(page, (sel) => document.querySelectorAll(sel).length === 1 && !document.body.dataset.busy, cards('accompany'), 'accompany: done');
  await page.unroute('**/api/tools/accompany');
  const acc = await page.evaluate(() => state.cards.map((c) => c.result));
  const lastBody = accBody[accBody.length - 1] || {};
  check(JSON.stringify(lastBody.keep) === JSON.stringify([flute]) && lastBody.instruments === 'piano, acoustic bass' && lastBody.drums === 'jazz' &&
    lastBody.candidates === 2 && lastBody.seed === 3, `accompany: the request carries the panel's options ${JSON.stringify(lastBody)}`);
  if (acc.length === 1) {
    const a = acc[0];
    check(JSON.stringify(a.tracks.map((t) => t.instrument)) === JSON.stringify(['Flute', 'Acoustic Grand Piano', 'Acoustic Bass', 'Drum kit']),
      `accompany: the flute, then the new piano, bass and drums (${a.tracks.map((t) => t.instrument)})`);
    const fluteNotes = example.notes.filter((n) => n[0] === flute).map((n) => [0, ...n.slice(1)].join(':')).sort().join('|');
    check(a.notes.filter((n) => n[0] === 0).map(noteKey).sort().join('|') === fluteNotes, 'accompany: the kept flute is note for note the input\'s');
    const dim = Number(await page.getAttribute(`${cards('accompany')} canvas`, 'data-prompt-notes'));
    check(dim === example.notes.filter((n) => n[0] === flute).length, `accompany: the kept notes are drawn dimmed (${dim})`);
    check(a.notes.some((n) => n[0] === 3) && a.notes.some((n) => n[0] === 1), 'accompany: the new parts have notes');
    const legend = await page.$$eval('#legend label', (l) => l.map((e) => e.textContent));
    check(legend.length === 4 && legend[0].includes('Flute'), `accompany: the legend lists the result's tracks (${legend})`);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(shots, 'studio-accompany.png') });
    await playBriefly('accompany', cards('accompany'));
    await checkMidi('accompany', cards('accompany'), a);
    await keepCard('accompany', cards('accompany'), 2, a);
    await undoTo('accompany', 1, 'example.mid');
  }

  // ---- a long accompaniment shows its progress and stops on Stop, changing nothing
  check(await page.isDisabled('#stop-accompany'), 'accompany: Stop is off while nothing runs');
  await page.fill('#accompany-candidates', '16');
  await page.fill('#accompany-variations', '4');
  const cardsBefore = await page.$$eval('#results .card', (l) => l.length);
  await page.click('#run-accompany');
  const shown = await waitFor(page, () => /^Accompany: [0-9]+% · [0-9]+ events · [0-9]+ s/.test(document.querySelector('#job-status').textContent) &&
    !document.querySelector('#stop-accompany').disabled, null, 'accompany: the status line shows the server\'s progress', 30000);
  if (shown) {
    check(true, 'accompany: progress in percent and events while it runs');
    await page.click('#stop-accompany');
    await waitFor(page, () => /^Accompany: stopped after [0-9.]+ s; nothing was changed\.$/.test(document.querySelector('#job-status').textContent) &&
      !document.body.dataset.busy, null, 'accompany: Stop ends it and says so', 30000);
    check(await page.isDisabled('#stop-accompany') && !(await page.isDisabled('#run-accompany')),
      'accompany: after the stop, Stop is off and the tools are free');
    check(await page.$$eval('#results .card', (l) => l.length) === cardsBefore, 'accompany: a stopped run adds no result');
    check((await page.textContent('#error')).trim() === '' || await page.isHidden('#error'), 'accompany: a stop is not an error');
    const prog = await page.evaluate(async () => (await fetch('/api/tools/progress')).json());
    check(prog.running === false, `accompany: nothing runs on the server after the stop (${JSON.stringify(prog)})`);
  }
  await page.fill('#accompany-candidates', '2');
  await page.fill('#accompany-variations', '1');

  // ---- Audio: a recording (the example rendered by FluidSynth) dropped, heard, continued, played
  const take = path.join(scratch, 'take.wav');
  execFileSync(binary, ['render', path.join(root, 'examples', 'example.mid'), '-o', take], { stdio: 'ignore' });
  const takeBytes = fs.readFileSync(take);
  const takeSeconds = takeBytes.readUInt32LE(takeBytes.indexOf('data') + 4) / (takeBytes.readUInt32LE(24) * takeBytes.readUInt16LE(22) * 2);
  await openTool('recording');
  check((await page.textContent('#audio-info')).trim() === 'No recording yet.' && await page.isHidden('#audio-players'),
    'audio: no recording yet, no players');
  await page.setInputFiles('#audio-file', take);
  const heard = await waitFor(page, () => document.querySelectorAll('#history li').length === 1 && state.recording &&
    document.querySelector('#score-info').textContent.startsWith('take.mid:') && !document.body.dataset.busy, null, 'audio: the recording is heard', 60000);
  const rec = await page.evaluate(() => state.recording);
  const transcription = await page.evaluate(() => state.input);
  if (heard) {
    check(rec.notes > 40 && Math.abs(rec.seconds - takeSeconds) < 0.05 && rec.bpm > 60 && rec.bpm < 200,
      `audio: notes heard, its length and tempo (${rec.notes} notes, ${rec.seconds} s of ${takeSeconds.toFixed(2)}, ${rec.bpm} BPM)`);
    check(transcription.notes.length > 40 && transcription.recording && transcription.recording.id === rec.id,
      `audio: the transcription is the input piece (${transcription.notes.length} notes)`);
    const input = Number(await page.getAttribute('#input-card canvas', 'data-prompt-notes'));
    check(input === transcription.notes.length, `audio: the heard notes are in the input roll (${input})`);
    check(/^take\.wav: [0-9.]+ s, [0-9]+ BPM, [0-9]+ notes heard .*last downbeat, [0-9.]+ s\.$/.test((await page.textContent('#audio-info')).trim()),
      `audio: the panel describes the recording: "${(await page.textContent('#audio-info')).trim()}"`);
    check(await page.isVisible('#audio-players') && (await page.getAttribute('#audio-original', 'src')).endsWith(`/api/scores/${rec.score}/audio?of=recording`) &&
      (await page.getAttribute('#audio-notes', 'src')).endsWith('?of=notes'), 'audio: players for the recording and for the notes heard');
    // the recording as the server plays it back: a WAV as long as the upload
    const back = await page.evaluate(async (id) => {
      const b = new Uint8Array(await (await fetch(`/api/scores/${id}/audio?of=recording`)).arrayBuffer());
      const v = new DataView(b.buffer);
      return { riff: String.fromCharCode(...b.subarray(0, 4)), rate: v.getUint32(24, true), channels: v.getUint16(22, true), bytes: v.getUint32(40, true) };
    }, rec.score);
    const backSeconds = back.bytes / (back.rate * back.channels * 2);
    check(back.riff === 'RIFF' && Math.abs(backSeconds - takeSeconds) < 0.01, `audio: the recording plays back as it was uploaded (${backSeconds.toFixed(2)} s)`);
    // Play on the input card plays the recording, with the playhead on the heard notes' beats
    await page.click('#input-card .play');
    const playing = await waitFor(page, () => Number(document.body.dataset.audioTime || 0) > 0.3 &&
      Number(document.querySelector('#input-card canvas').dataset.playhead || 0) > 0, null, 'audio: the recording plays with a moving playhead');
    if (playing) check(await page.evaluate(() => document.querySelector('#player').src.includes(`/api/scores/${state.input.id}/audio`)), 'audio: the input plays');
    await page.click('#input-card .play');
    await page.evaluate(() => { delete document.body.dataset.audioTime; });

    await page.fill('#audio-seconds', '6');
    await page.fill('#audio-instrument', 'vibraphone');
    await page.fill('#audio-variations', '2');
    await page.fill('#audio-seed', '4');
    const recBody = [];
    page.on('request', (r) => { if (r.url().endsWith('/api/tools/recording')) recBody.push(JSON.parse(r.postData())); });
    const conts = await runTool('recording', 2, false);
    const b = recBody[recBody.length - 1] || {};
    check(b.recording === rec.id && b.seconds === 6 && b.instrument === 'vibraphone' && b.variations === 2 && b.seed === 4,
      `audio: the request carries the panel's options ${JSON.stringify(b)}`);
    if (conts.length === 2) {
      const heardKeys = transcription.notes.map(noteKey).sort().join('|');
      for (const [i, c] of conts.entries()) {
        const added = c.notes.filter((n) => n[0] === 1);
        const seamBeat = added.length ? Math.min(...added.map((n) => n[2])) : 0;
        check(c.notes.filter((n) => n[0] === 0).map(noteKey).sort().join('|') === heardKeys &&
          c.tracks.length === 2 && c.tracks[1].name === 'continuation' && c.tracks[1].program === 11 &&
          c.recording && c.recording.id === rec.id && Math.abs(c.recording.seam - rec.seam) < 1e-3,
          `audio: result ${i + 1} holds every heard note and a vibraphone continuation (${added.length} new notes, from beat ${seamBeat})`);
      }
      check(conts.some((c) => c.notes.some((n) => n[0] === 1)), 'audio: the continuations have new notes');
      const dim = Number(await page.getAttribute(`${cards('recording')} canvas`, 'data-prompt-notes'));
      check(dim === transcription.notes.length, `audio: the heard notes are drawn dimmed in the results (${dim})`);
      await page.screenshot({ path: path.join(shots, 'studio-audio.png') });
      await playBriefly('recording', `${cards('recording')}[data-variation="0"]`);
      const card0 = `${cards('recording')}[data-variation="0"]`;
      const wav = await download(`${card0} .dl-wav`, 'continued.wav');
      const wavSeconds = wav.readUInt32LE(wav.indexOf('data') + 4) / (wav.readUInt32LE(24) * wav.readUInt16LE(22) * 2);
      check(wav.toString('latin1', 0, 4) === 'RIFF' && wavSeconds > rec.seam + 1 && wavSeconds < rec.seam + 12,
        `audio: the WAV download is the recording up to the seam plus the continuation (${wavSeconds.toFixed(2)} s, seam ${rec.seam} s)`);
      // the recording itself, sample for sample, up to the seam (the crossfade starts there)
      const upTo = Math.floor(rec.seam * 44100) - 10;
      const at = (buf, i) => buf.readInt16LE(buf.indexOf('data') + 8 + i * 2 * buf.readUInt16LE(22));
      let same = true;
      for (let i = 0; i < upTo && same; i += 97) same = Math.abs(at(wav, i) - Math.round((at(takeBytes, i) + (takeBytes.readUInt16LE(22) > 1 ? takeBytes.readInt16LE(takeBytes.indexOf('data') + 8 + i * 4 + 2) : at(takeBytes, i))) / 2)) <= 2;
      check(same, 'audio: before the seam the download is the recording (mono), sample for sample');
      const ogg = await download(`${card0} .dl-ogg`, 'continued.ogg');
      check(ogg.toString('latin1', 0, 4) === 'OggS', 'audio: the Ogg download is an Ogg stream');
      await checkMidi('recording', card0, conts[0]);
    }
  }
  // a file that is not a recording gets the server's message
  await page.setInputFiles('#audio-file', { name: 'memo.txt', mimeType: 'text/plain', buffer: Buffer.from('not a sound\n') });
  await waitFor(page, () => !document.querySelector('#error').hidden && !document.body.dataset.busy, null, 'audio: an error for a file that is not a recording');
  const audioErr = await page.textContent('#error');
  check(/^memo\.txt.*not a recording/.test(audioErr), `audio: readable error: "${audioErr}"`);
  // a recording dropped where MIDI goes is taken to the Audio panel
  await page.click('#tool-tabs button[data-tool="continue"]');
  await page.setInputFiles('#file', take);
  await waitFor(page, (old) => state.recording && state.recording.id !== old && !document.body.dataset.busy, rec ? rec.id : '', 'audio: a recording given as the piece is heard');
  check(await page.isVisible('#panel-recording'), 'audio: a recording given as the piece opens the Audio panel');

  // ---- a file that is not MIDI
  await page.setInputFiles('#file', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('these are not notes\n') });
  await waitFor(page, () => !document.querySelector('#error').hidden, null, 'an error is shown for a non-MIDI file');
  const err = await page.textContent('#error');
  check(/notes\.txt: .*not a MIDI file/.test(err), `readable error: "${err}"`);
  await page.screenshot({ path: path.join(shots, 'studio-error.png'), clip: { x: 0, y: 0, width: 460, height: 420 } });

  check(outside.length === 0, `nothing fetched from outside the server: ${outside.slice(0, 3)}`);
  check(pageErrors.length === 0, `no script errors: ${pageErrors.slice(0, 3)}`);
} catch (e) {
  check(false, `exception: ${e.stack || e}`);
} finally {
  await browser.close();
  server.kill('SIGTERM');
}
console.log(`studio browser test: ${((Date.now() - t0) / 1000).toFixed(1)} s, ${failures.length} failures`);
process.exit(failures.length ? 1 : 0);
