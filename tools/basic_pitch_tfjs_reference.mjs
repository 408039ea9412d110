// Runs Spotify's basic-pitch TF.js graph model (models/basic-pitch) with TensorFlow.js in node on
// 22050 Hz mono samples, windowed and joined exactly as basic-pitch's inference.py does, and writes
// the outputs as the reference for tests/audio/test_transcribe.cpp (SecondClipMatchesTfjs).
//
//   continuo transcribe vocadito_14.wav -o /tmp/v14.mid --dump-model-input /tmp/v14.f32
//   (cd /tmp/tfjs && npm install @tensorflow/tfjs@4)
//   NODE_PATH=/tmp/tfjs/node_modules node tools/basic_pitch_tfjs_reference.mjs /tmp/v14.f32 \
//       tests/data/audio/vocadito_14.tfjs
//
// Output: OUT.json ({frames, stride, widths}) and OUT.f32: every `stride`-th frame's note[88],
// onset[88] and contour[264] as little-endian float32 (a subsample keeps the file small).
// The pure-JS CPU backend is used, so no native binaries are needed.
import { createRequire } from 'module';
import fs from 'fs';
import path from 'path';
import { fileURLToPath } from 'url';

const require = createRequire(process.env.NODE_PATH ? path.join(process.env.NODE_PATH, 'x') : import.meta.url);
const tf = require('@tensorflow/tfjs');

const WINDOW = 43844, HOP = 36164, OVERLAP_FRAMES = 30, WINDOW_FRAMES = 172, STRIDE = 8;
const [input, outBase] = process.argv.slice(2);
if (!input || !outBase) {
  console.error('usage: node basic_pitch_tfjs_reference.mjs SAMPLES.f32 OUT_BASE');
  process.exit(2);
}
const here = path.dirname(fileURLToPath(import.meta.url));
const modelDir = path.join(here, '..', 'models', 'basic-pitch');

async function loadModel() {
  const json = JSON.parse(fs.readFileSync(path.join(modelDir, 'model.json')));
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const buffers = json.weightsManifest.flatMap((g) => g.paths.map((p) => fs.readFileSync(path.join(modelDir, p))));
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  return tf.loadGraphModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData }));
}

async function main() {
  await tf.setBackend('cpu');
  const model = await loadModel();
  const raw = fs.readFileSync(input);
  const audio = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const padded = new Float32Array(OVERLAP_FRAMES * 256 / 2 + audio.length);
  padded.set(audio, OVERLAP_FRAMES * 256 / 2);
  const nWindows = Math.ceil(padded.length / HOP);
  const kept = WINDOW_FRAMES - OVERLAP_FRAMES;
  const frames = Math.floor(audio.length / HOP * kept);
  const outs = { note: [], onset: [], contour: [] };
  for (let w = 0; w < nWindows; ++w) {
    const win = new Float32Array(WINDOW);
    win.set(padded.subarray(w * HOP, Math.min(padded.length, w * HOP + WINDOW)));
    const x = tf.tensor3d(win, [1, WINDOW, 1]);
    const res = model.execute(x, ['Identity_1', 'Identity_2', 'Identity']);   // note, onset, contour
    const names = ['note', 'onset', 'contour'];
    for (let k = 0; k < 3; ++k) {
      const arr = await res[k].array();
      for (let t = OVERLAP_FRAMES / 2; t < WINDOW_FRAMES - OVERLAP_FRAMES / 2; ++t) outs[names[k]].push(arr[0][t]);
      res[k].dispose();
    }
    x.dispose();
  }
  const rows = [];
  for (let t = 0; t < frames; t += STRIDE) rows.push(...outs.note[t], ...outs.onset[t], ...outs.contour[t]);
  fs.writeFileSync(outBase + '.f32', Buffer.from(new Float32Array(rows).buffer));
  fs.writeFileSync(outBase + '.json', JSON.stringify({ frames, stride: STRIDE, widths: [88, 88, 264],
    source: 'basic-pitch TF.js graph (npm @spotify/basic-pitch 1.0.1) run by @tensorflow/tfjs ' + tf.version.tfjs + ' (cpu backend)' }) + '\n');
  console.log(`${frames} frames, ${rows.length / 440} rows written to ${outBase}.{f32,json}`);
}
main();
