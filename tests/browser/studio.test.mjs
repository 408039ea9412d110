// Browser test of the studio: Debian's chromium driven by playwright-core.
//   node studio.test.mjs CONTINUO_BINARY SOURCE_ROOT SCRATCH_DIR
// Loads the page, uploads the bundled example, generates two variations and watches notes appear
// in both rolls while they stream, stops one early, plays the audio (the playhead moves),
// downloads the MIDI and checks that it parses, keeps a variation and continues it, undoes,
// reloads (the history survives), and uploads a file that is not MIDI (a readable error).
// $CONTINUO_SCREENSHOTS=DIR writes the screenshots there (docs/ uses them); $STUDIO_MODELS=DIR
// serves those models instead of a random-weight one.
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
