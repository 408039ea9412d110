// audio/notes.cpp: note events from basic-pitch's posteriorgrams.
//
// A re-implementation of the reference's note creation (basic_pitch/note_creation.py):
//  1. Onsets: the onset posterior, raised where the note posterior jumps up (over 1 and 2 frames,
//     rescaled to the onsets' maximum); local maxima in time at or above the onset threshold.
//  2. Each onset, latest first, starts a note that lasts while the note posterior stays above the
//     frame threshold (up to `energy_tolerance` frames below it are bridged). Notes of
//     `min_note_frames` or fewer are dropped. A kept note clears its energy and its neighbours'.
//  3. The "melodia trick": the strongest energy left above the threshold seeds a note that grows
//     forwards and backwards the same way, until nothing above the threshold is left.
//  4. Pitch bends: per frame, the strongest contour bin within +-25 bins (1/3 semitones) of the
//     note's pitch, weighted by a Gaussian of std 5 bins.
// The arithmetic is in double (numpy promotes to float64 there too).
#include <algorithm>
#include <cmath>
#include <queue>

#include "continuo/error.hpp"
#include "continuo/transcribe.hpp"

namespace continuo::audio {
namespace {

constexpr int kP = kBasicPitchPitches;
constexpr int kMidiOffset = 21;

// A [frames, 88] matrix in double.
struct Grid {
  int frames = 0;
  std::vector<double> v;
  double& at(int t, int p) { return v[size_t(t) * kP + size_t(p)]; }
  double at(int t, int p) const { return v[size_t(t) * kP + size_t(p)]; }
};

Grid to_grid(const std::vector<float>& m, int frames) {
  Grid g;
  g.frames = frames;
  g.v.assign(m.begin(), m.begin() + ptrdiff_t(size_t(frames) * kP));
  return g;
}

// Zeroes pitches outside [min_hz, max_hz] (rounded to the nearest MIDI key).
void constrain_frequency(Grid& onsets, Grid& frames, const NoteOptions& opt) {
  auto midi_index = [](double hz) { return int(std::lround(12.0 * std::log2(hz / 440.0) + 69.0 - kMidiOffset)); };
  int lo = 0, hi = kP;
  if (opt.max_hz) hi = std::clamp(midi_index(*opt.max_hz), 0, kP);
  if (opt.min_hz) lo = std::clamp(midi_index(*opt.min_hz), 0, kP);
  for (Grid* g : {&onsets, &frames})
    for (int t = 0; t < g->frames; ++t)
      for (int p = 0; p < kP; ++p)
        if (p >= hi || p < lo) g->at(t, p) = 0;
}

// max(onsets, rescaled positive jumps of the frame posterior over 1 and 2 frames).
void infer_onsets(Grid& onsets, const Grid& frames) {
  Grid diff = frames;
  double max_diff = 0, max_onset = 0;
  for (int t = 0; t < frames.frames; ++t)
    for (int p = 0; p < kP; ++p) {
      const double d1 = frames.at(t, p) - (t >= 1 ? frames.at(t - 1, p) : 0.0);
      const double d2 = frames.at(t, p) - (t >= 2 ? frames.at(t - 2, p) : 0.0);
      double d = std::max(std::min(d1, d2), 0.0);
      if (t < 2) d = 0;
      diff.at(t, p) = d;
      max_diff = std::max(max_diff, d);
      max_onset = std::max(max_onset, onsets.at(t, p));
    }
  if (max_diff <= 0) return;   // nothing rises: the reference would divide by zero here
  for (size_t k = 0; k < diff.v.size(); ++k) onsets.v[k] = std::max(onsets.v[k], max_onset * diff.v[k] / max_diff);
}

double mean_of(const Grid& frames, int p, int begin, int end) {
  double sum = 0;
  for (int t = begin; t < end; ++t) sum += frames.at(t, p);
  return sum / double(end - begin);
}

void clear_with_neighbours(Grid& energy, int t, int p) {
  energy.at(t, p) = 0;
  if (p < kP - 1) energy.at(t, p + 1) = 0;
  if (p > 0) energy.at(t, p - 1) = 0;
}

struct FrameNote {
  int start, end, pitch;
  double amplitude;
};

// Step 2: notes that start at detected onsets.
void notes_from_onsets(const Grid& onsets, const Grid& frames, Grid& energy, const NoteOptions& opt,
                       std::vector<FrameNote>& out) {
  const int n = frames.frames;
  // local maxima in time, strictly above both neighbours (never the first or last frame)
  for (int t = n - 2; t >= 1; --t)
    for (int p = kP - 1; p >= 0; --p) {
      const double v = onsets.at(t, p);
      if (!(v > onsets.at(t - 1, p) && v > onsets.at(t + 1, p) && v >= opt.onset_threshold)) continue;
      int i = t + 1, k = 0;
      while (i < n - 1 && k < opt.energy_tolerance) {
        k = energy.at(i, p) < opt.frame_threshold ? k + 1 : 0;
        ++i;
      }
      i -= k;
      if (i - t <= opt.min_note_frames) continue;
      for (int f = t; f < i; ++f) clear_with_neighbours(energy, f, p);
      out.push_back({t, i, p + kMidiOffset, mean_of(frames, p, t, i)});
    }
}

// Step 3: the melodia trick. A heap of every cell above the threshold stands in for the
// reference's repeated argmax: cells only ever drop to zero, so a popped cell whose value changed
// is stale. Ties go to the first cell in row-major order, as numpy's argmax does.
void notes_from_melodia(const Grid& frames, Grid& energy, const NoteOptions& opt, std::vector<FrameNote>& out) {
  const int n = frames.frames;
  using Cell = std::pair<double, int64_t>;   // value, -index
  std::priority_queue<Cell> heap;
  for (size_t k = 0; k < energy.v.size(); ++k)
    if (energy.v[k] > opt.frame_threshold) heap.push({energy.v[k], -int64_t(k)});
  while (!heap.empty()) {
    const auto [value, neg_index] = heap.top();
    heap.pop();
    const int64_t index = -neg_index;
    if (energy.v[size_t(index)] != value) continue;
    const int t_mid = int(index / kP), p = int(index % kP);
    energy.at(t_mid, p) = 0;
    auto walk = [&](int from, int step, int& k) {
      int i = from;
      k = 0;
      while ((step > 0 ? i < n - 1 : i > 0) && k < opt.energy_tolerance) {
        k = energy.at(i, p) < opt.frame_threshold ? k + 1 : 0;
        clear_with_neighbours(energy, i, p);
        i += step;
      }
      return i;
    };
    int k_fwd = 0, k_back = 0;
    const int end = walk(t_mid + 1, 1, k_fwd) - 1 - k_fwd;
    const int start = walk(t_mid - 1, -1, k_back) + 1 + k_back;
    if (end - start <= opt.min_note_frames) continue;
    out.push_back({start, end, p + kMidiOffset, mean_of(frames, p, start, end)});
  }
}

// Step 4: per-frame pitch bends, in contour bins (1/3 semitone) from the note's own bin.
std::vector<int> pitch_bends(const Posteriorgrams& pg, const FrameNote& note) {
  constexpr int kTol = 25, kWin = 2 * kTol + 1;
  double gauss[kWin];
  for (int k = 0; k < kWin; ++k) gauss[k] = std::exp(-0.5 * std::pow((k - kTol) / 5.0, 2));
  const int bin = 3 * (note.pitch - kMidiOffset);   // the contour bin of the pitch's centre
  const int lo = std::max(bin - kTol, 0), hi = std::min(kBasicPitchContourBins, bin + kTol + 1);
  const int g0 = std::max(0, kTol - bin);
  const int shift = kTol - g0;
  std::vector<int> bends;
  for (int t = note.start; t < note.end; ++t) {
    const float* row = pg.contour.data() + size_t(t) * kBasicPitchContourBins;
    int best = 0;
    double best_v = -1;
    for (int b = lo; b < hi; ++b) {
      const double v = double(row[b]) * gauss[g0 + b - lo];
      if (v > best_v) {
        best_v = v;
        best = b - lo;
      }
    }
    bends.push_back(best - shift);
  }
  return bends;
}

}  // namespace

double basic_pitch_frame_time(int frame) {
  const double hop_s = double(kBasicPitchHop) / kBasicPitchRate;
  // each 172-frame window covers 43844 / 256 = 171.27 frames of audio; the reference subtracts the
  // difference (and 1.8 ms it calls a magic number) once per window
  const double window_offset = hop_s * (172.0 - 43844.0 / kBasicPitchHop) + 0.0018;
  return double(frame) * kBasicPitchHop / kBasicPitchRate - window_offset * std::floor(frame / 172.0);
}

std::vector<NoteEvent> notes_from_posteriorgrams(const Posteriorgrams& pg, const NoteOptions& opt) {
  if (pg.frames < 0 || pg.note.size() < size_t(pg.frames) * kP || pg.onset.size() < size_t(pg.frames) * kP ||
      pg.contour.size() < size_t(pg.frames) * kBasicPitchContourBins)
    throw Error(ErrorCode::kInvalidArgument, "posteriorgrams: arrays shorter than their frame count");
  Grid frames = to_grid(pg.note, pg.frames), onsets = to_grid(pg.onset, pg.frames);
  constrain_frequency(onsets, frames, opt);
  if (opt.infer_onsets) infer_onsets(onsets, frames);
  Grid energy = frames;
  std::vector<FrameNote> found;
  notes_from_onsets(onsets, frames, energy, opt, found);
  if (opt.melodia_trick) notes_from_melodia(frames, energy, opt, found);
  std::vector<NoteEvent> out;
  for (const FrameNote& f : found) {
    NoteEvent e;
    e.start_s = basic_pitch_frame_time(f.start);
    e.end_s = basic_pitch_frame_time(f.end);
    e.pitch = f.pitch;
    e.amplitude = f.amplitude;
    e.bends = pitch_bends(pg, f);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace continuo::audio
