// audio/beats.cpp: tempo and beats of a recording, and the transcribed notes on that beat grid.
//
// 1. Onset strength: log-magnitude spectral flux (positive changes summed over frequency), 100
//    frames a second, with its local mean removed (a rising level is not an onset).
// 2. Tempo: the autocorrelation of the onset strength over lags of 40-240 BPM, weighted by a
//    log-normal prior around 120 BPM (one octave wide), as librosa's beat tracker weighs it.
// 3. Beats: dynamic programming (D. Ellis, "Beat Tracking by Dynamic Programming", 2007): each
//    frame's best score is its onset strength plus the best earlier score one period back,
//    penalised by the squared log-ratio of the gap to the period.
// 4. Downbeats: of the four phases, the one whose beats carry the most onset strength and the
//    most transcribed note onsets (bass notes counted twice), assuming 4/4.
#include <algorithm>
#include <cmath>
#include <complex>

#include "continuo/error.hpp"
#include "continuo/transcribe.hpp"

namespace continuo::audio {
namespace {

constexpr double kFps = 100.0;

// In-place iterative radix-2 FFT (n a power of two).
void fft(std::vector<std::complex<float>>& a) {
  const size_t n = a.size();
  for (size_t i = 1, j = 0; i < n; ++i) {
    size_t bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) std::swap(a[i], a[j]);
  }
  for (size_t len = 2; len <= n; len <<= 1) {
    const double ang = -2 * M_PI / double(len);
    const std::complex<float> wl(float(std::cos(ang)), float(std::sin(ang)));
    for (size_t i = 0; i < n; i += len) {
      std::complex<float> w(1);
      for (size_t k = 0; k < len / 2; ++k) {
        const auto u = a[i + k], v = a[i + k + len / 2] * w;
        a[i + k] = u + v;
        a[i + k + len / 2] = u - v;
        w *= wl;
      }
    }
  }
}

// The FFT size: the power of two at or above 50 ms.
size_t fft_size(int rate) {
  size_t n = 1;
  while (n < size_t(rate) / 20) n <<= 1;
  return n;
}
double analysis_window_s(int rate) { return double(fft_size(rate)) / rate; }

// [frames] onset strength at kFps frames a second.
std::vector<double> onset_strength(const Signal& s) {
  const int hop = std::max(1, int(std::lround(s.sample_rate / kFps)));
  const size_t n_fft = fft_size(s.sample_rate);
  std::vector<float> window(n_fft);
  for (size_t k = 0; k < n_fft; ++k) window[k] = float(0.5 - 0.5 * std::cos(2 * M_PI * double(k) / double(n_fft)));
  const size_t frames = s.samples.size() / size_t(hop) + 1;
  const size_t bins = n_fft / 2 + 1;
  std::vector<double> flux(frames, 0.0);
  std::vector<float> prev(bins, 0.0f), cur(bins);
  std::vector<std::complex<float>> buf(n_fft);
  for (size_t f = 0; f < frames; ++f) {
    const int64_t centre = int64_t(f) * hop, start = centre - int64_t(n_fft / 2);
    for (size_t k = 0; k < n_fft; ++k) {
      const int64_t i = start + int64_t(k);
      buf[k] = (i >= 0 && i < int64_t(s.samples.size())) ? s.samples[size_t(i)] * window[k] : 0.0f;
    }
    fft(buf);
    double sum = 0;
    for (size_t b = 0; b < bins; ++b) {
      cur[b] = std::log1p(1000.0f * std::abs(buf[b]));
      if (f > 0) sum += std::max(0.0f, cur[b] - prev[b]);
    }
    flux[f] = sum;
    std::swap(prev, cur);
  }
  // remove the local mean (about a second), keep the positive part, scale to unit deviation
  const int half = int(kFps / 2);
  std::vector<double> prefix(frames + 1, 0.0);
  for (size_t f = 0; f < frames; ++f) prefix[f + 1] = prefix[f] + flux[f];
  std::vector<double> env(frames);
  for (size_t f = 0; f < frames; ++f) {
    const size_t a = f >= size_t(half) ? f - size_t(half) : 0, b = std::min(frames, f + size_t(half) + 1);
    env[f] = std::max(0.0, flux[f] - (prefix[b] - prefix[a]) / double(b - a));
  }
  double sq = 0;
  for (double v : env) sq += v * v;
  const double sd = std::sqrt(sq / double(std::max<size_t>(1, frames)));
  if (sd > 0)
    for (double& v : env) v /= sd;
  return env;
}

// Beat period in frames (fractional).
double tempo_period(const std::vector<double>& env) {
  const int lo = int(std::floor(60.0 * kFps / 240.0)), hi = int(std::ceil(60.0 * kFps / 40.0));
  double best = -1, best_lag = 60.0 * kFps / 120.0;
  std::vector<double> ac(size_t(hi) + 2, 0.0);
  for (int lag = lo - 1; lag <= hi + 1; ++lag) {
    if (lag <= 0 || size_t(lag) >= env.size()) continue;
    double sum = 0;
    for (size_t t = size_t(lag); t < env.size(); ++t) sum += env[t] * env[t - size_t(lag)];
    ac[size_t(lag)] = sum / double(env.size() - size_t(lag));
  }
  for (int lag = lo; lag <= hi && size_t(lag) < env.size(); ++lag) {
    const double bpm = 60.0 * kFps / lag;
    const double prior = std::exp(-0.5 * std::pow(std::log2(bpm / 120.0), 2));
    const double score = ac[size_t(lag)] * prior;
    if (score > best) {
      best = score;
      best_lag = lag;
    }
  }
  // parabolic refinement of the peak
  const int l = int(best_lag);
  if (l > lo && l < hi && size_t(l + 1) < ac.size()) {
    const double a = ac[size_t(l - 1)], b = ac[size_t(l)], c = ac[size_t(l + 1)];
    const double d = a - 2 * b + c;
    if (d < 0) best_lag = l + std::clamp(0.5 * (a - c) / d, -0.5, 0.5);
  }
  return best_lag;
}

// Beat times by dynamic programming. `latency_s` is added to every beat: the flux peaks about half
// an analysis window before the onset (measured: 20-30 ms early with the 46 ms window at 44.1 kHz).
std::vector<double> dp_beats(const std::vector<double>& env, double period, double latency_s) {
  const size_t n = env.size();
  constexpr double kTightness = 100.0;
  std::vector<double> score(n, 0.0);
  std::vector<int64_t> back(n, -1);
  const int64_t lo = int64_t(std::round(period / 2)), hi = int64_t(std::round(period * 2));
  for (size_t t = 0; t < n; ++t) {
    double best = 0;
    int64_t arg = -1;
    for (int64_t gap = lo; gap <= hi && gap <= int64_t(t); ++gap) {
      const double pen = std::log(double(gap) / period);
      const double v = score[t - size_t(gap)] - kTightness * pen * pen;
      if (arg < 0 || v > best) {
        best = v;
        arg = int64_t(t) - gap;
      }
    }
    score[t] = env[t] + (arg >= 0 ? std::max(best, 0.0) : 0.0);
    back[t] = arg >= 0 && best > 0 ? arg : -1;
  }
  // the last beat: the best-scoring frame within the last period
  size_t end = n - 1;
  for (size_t t = n > size_t(period) ? n - size_t(period) : 0; t < n; ++t)
    if (score[t] > score[end]) end = t;
  std::vector<double> beats;
  for (int64_t t = int64_t(end); t >= 0; t = back[size_t(t)]) beats.push_back(double(t) / kFps + latency_s);
  std::reverse(beats.begin(), beats.end());
  return beats;
}

// Extends the beats at the median period back to the start and on past `until` seconds (two beats
// at least, so that even a very short recording has a grid).
void extend_beats(std::vector<double>& beats, double period_s, double until) {
  if (beats.empty()) beats.push_back(0.0);
  while (beats.front() - period_s > 0.0) beats.insert(beats.begin(), beats.front() - period_s);
  while (beats.size() < 2 || beats.back() < until) beats.push_back(beats.back() + period_s);
}

int downbeat_phase(const BeatGrid& g, const std::vector<double>& env, const std::vector<NoteEvent>& notes) {
  double best = -1;
  int phase = 0;
  const double tol = 0.07;
  for (int p = 0; p < g.beats_per_bar; ++p) {
    double score = 0;
    for (size_t i = size_t(p); i < g.beats.size(); i += size_t(g.beats_per_bar)) {
      const size_t f = size_t(std::lround(g.beats[i] * kFps));
      if (f < env.size()) score += env[f];
      for (const NoteEvent& n : notes)
        if (std::abs(n.start_s - g.beats[i]) < tol) score += n.pitch < 55 ? 2.0 : 1.0;
    }
    if (score > best) {
      best = score;
      phase = p;
    }
  }
  return phase;
}

}  // namespace

BeatGrid track_beats(const Signal& s, const std::vector<NoteEvent>& notes) {
  if (s.sample_rate <= 0 || s.samples.empty()) throw Error(ErrorCode::kInvalidArgument, "track_beats: empty signal");
  const std::vector<double> env = onset_strength(s);
  const double period = tempo_period(env);
  BeatGrid g;
  g.bpm = 60.0 * kFps / period;
  g.beats = dp_beats(env, period, 0.5 * analysis_window_s(s.sample_rate));
  // the median gap is the tempo the grid keeps outside the tracked beats
  std::vector<double> gaps;
  for (size_t i = 1; i < g.beats.size(); ++i) gaps.push_back(g.beats[i] - g.beats[i - 1]);
  double median = period / kFps;
  if (!gaps.empty()) {
    std::nth_element(gaps.begin(), gaps.begin() + ptrdiff_t(gaps.size() / 2), gaps.end());
    median = gaps[gaps.size() / 2];
    g.bpm = 60.0 / median;
  }
  extend_beats(g.beats, median, s.seconds());
  g.first_downbeat = downbeat_phase(g, env, notes);
  return g;
}

score::Score notes_to_score(const std::vector<NoteEvent>& notes, const BeatGrid& grid, int program) {
  if (grid.beats.size() < 2) throw Error(ErrorCode::kInvalidArgument, "notes_to_score: a beat grid needs two beats");
  constexpr int kTpb = 480;
  // beat boundaries from time 0: a first beat shorter than half a period joins the next one
  std::vector<double> b = grid.beats;
  const double period = b[1] - b[0];
  if (b.front() > 0) b.insert(b.begin(), 0.0);
  int downbeat = grid.first_downbeat + (b.size() > grid.beats.size() ? 1 : 0);
  if (b.size() > 2 && b[1] < 0.5 * period) {
    b.erase(b.begin() + 1);
    --downbeat;
  }
  score::Score s;
  s.ticks_per_beat = kTpb;
  downbeat = ((downbeat % grid.beats_per_bar) + grid.beats_per_bar) % grid.beats_per_bar;
  if (downbeat != 0) s.time_signatures.push_back({Ticks(0), uint8_t(downbeat), 4});   // a pickup bar
  s.time_signatures.push_back({Ticks(int64_t(downbeat) * kTpb), uint8_t(grid.beats_per_bar), 4});
  for (size_t j = 0; j + 1 < b.size(); ++j)
    s.tempos.push_back({Ticks(int64_t(j) * kTpb), uint32_t(std::lround((b[j + 1] - b[j]) * 1e6))});
  s.tempos.push_back({Ticks(int64_t(b.size() - 1) * kTpb), uint32_t(std::lround(60e6 / grid.bpm))});
  // seconds -> ticks, linear within each beat
  auto to_tick = [&](double t) {
    const auto it = std::upper_bound(b.begin(), b.end(), t);
    const size_t j = it == b.begin() ? 0 : size_t(it - b.begin()) - 1;
    const double len = j + 1 < b.size() ? b[j + 1] - b[j] : 60.0 / grid.bpm;
    return int64_t(std::llround((double(j) + (t - b[j]) / len) * kTpb));
  };
  score::Track tr;
  tr.name = "transcription";
  tr.program = uint8_t(std::clamp(program, 0, 127));
  for (const NoteEvent& n : notes) {
    const int64_t a = to_tick(n.start_s), e = std::max(to_tick(n.end_s), a + 1);
    tr.notes.push_back({Ticks(a), Ticks(e - a), uint8_t(std::clamp(n.pitch, 0, 127)),
                        uint8_t(std::clamp<long>(std::lround(127 * n.amplitude), 1, 127))});
  }
  std::sort(tr.notes.begin(), tr.notes.end());
  s.tracks.push_back(std::move(tr));
  return s;
}

Transcription transcribe(const Signal& s, const BasicPitch& bp, const NoteOptions& opt, int program,
                         Signal* model_input) {
  Signal at_model_rate = resample(s, kBasicPitchRate);
  Transcription t;
  t.notes = notes_from_posteriorgrams(bp.run(at_model_rate), opt);
  if (model_input) *model_input = std::move(at_model_rate);
  if (t.notes.empty()) throw Error(ErrorCode::kInvalidArgument, "no notes heard (silence, noise or too quiet)");
  t.grid = track_beats(s, t.notes);
  t.score = notes_to_score(t.notes, t.grid, program);
  return t;
}

}  // namespace continuo::audio
