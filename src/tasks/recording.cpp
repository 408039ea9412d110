// tasks/recording.cpp: continuing a recording (continuo/recording.hpp).
#include "continuo/recording.hpp"

#include <algorithm>
#include <cmath>

#include "continuo/error.hpp"

namespace continuo::tasks {
namespace {

// The prompt: every note that starts before the seam tick, cut there.
score::Score prompt_before(const score::Score& heard, Ticks seam) {
  score::Score p = heard;
  for (auto& tr : p.tracks) {
    std::vector<score::Note> kept;
    for (auto n : tr.notes) {
      if (n.start >= seam) continue;
      n.duration = std::min(n.duration, seam - n.start);
      kept.push_back(n);
    }
    tr.notes = std::move(kept);
  }
  return p;
}

struct Cut {
  double seam_s;
  Ticks seam_tick;
  score::Score prompt;
};

Cut cut_recording(const audio::Transcription& heard, double clip_seconds) {
  Cut c;
  c.seam_s = last_downbeat(heard.grid, clip_seconds);
  const int tpb = heard.score.ticks_per_beat;
  c.seam_tick = Ticks((score::seconds_to_tick(heard.score, Seconds(c.seam_s)).count() + tpb / 2) / tpb * tpb);
  // the model reads the heard notes snapped to sixteenths of the tracked grid: it was trained on
  // notated timing and copies what it reads, so an unsnapped prompt gives a loose continuation
  c.prompt = prompt_before(score::quantize(heard.score, 4), c.seam_tick);
  if (std::all_of(c.prompt.tracks.begin(), c.prompt.tracks.end(), [](const auto& t) { return t.notes.empty(); })) {
    char s[32];
    std::snprintf(s, sizeof s, "%.2f", c.seam_s);
    throw Error(ErrorCode::kInvalidArgument, std::string("no notes heard before the last downbeat (") + s + " s)");
  }
  return c;
}

int events_for(const Cut& c, const RecordingOptions& opt) {
  const size_t prompt_n = prompt_events(c.prompt, 0, opt.sampling.allow_controls).size();
  const double per_second = double(prompt_n) / std::max(1.0, c.seam_s);
  return std::clamp(int(std::ceil(per_second * opt.seconds * 1.5)) + 16, 32, 4096);
}

}  // namespace

double last_downbeat(const audio::BeatGrid& g, double end_s) {
  double seam = -1;
  if (g.beats_per_bar > 0 && g.first_downbeat >= 0)
    for (size_t i = size_t(g.first_downbeat); i < g.beats.size(); i += size_t(g.beats_per_bar))
      if (g.beats[i] <= end_s && g.beats[i] > 0) seam = g.beats[i];
  if (seam > 0) return seam;
  for (double b : g.beats)
    if (b <= end_s) seam = b;
  return std::max(seam, 0.0);
}

RecordingContinuation continue_recording(const engine::Model& m, const audio::Transcription& heard, double clip_seconds,
                                         const RecordingOptions& opt, const ProgressFn& progress) {
  if (!(opt.seconds > 0) || opt.seconds > 3600)
    throw Error(ErrorCode::kInvalidArgument, "the continuation's length must be between 0 and 3600 seconds");
  RecordingContinuation out;
  Cut cut = cut_recording(heard, clip_seconds);
  out.seam_s = cut.seam_s;
  out.seam_tick = cut.seam_tick;
  out.end_tick = score::seconds_to_tick(heard.score, Seconds(out.seam_s + opt.seconds));
  ContinueOptions co;
  co.sampling = opt.sampling;
  co.sampling.allow_tempo_changes = false;
  co.sampling.allow_timesig_changes = false;
  if (co.sampling.events <= 0) co.sampling.events = events_for(cut, opt);
  out.prompt = std::move(cut.prompt);
  const auto outs = continue_score(m, out.prompt, co, progress);
  for (const auto& o : outs) {
    score::Score added = score::slice_ticks(o, out.seam_tick, out.end_tick);
    for (auto& tr : added.tracks)
      if (!tr.is_drum) tr.program = uint8_t(opt.program);
    out.added.push_back(std::move(added));
    // what was heard (all of it, on its beat grid) and what was added after the seam
    score::Score both = heard.score;
    score::Track add;
    add.name = "continuation";
    add.channel = 1;
    add.program = uint8_t(opt.program);
    for (const auto& tr : o.tracks)
      for (const auto& n : tr.notes)
        if (n.start >= out.seam_tick && n.start < out.end_tick) add.notes.push_back(n);
    std::sort(add.notes.begin(), add.notes.end());
    both.tracks.push_back(std::move(add));
    out.both.push_back(std::move(both));
  }
  return out;
}

int recording_events(const audio::Transcription& heard, double clip_seconds, const RecordingOptions& opt) {
  if (opt.sampling.events > 0) return opt.sampling.events;
  return events_for(cut_recording(heard, clip_seconds), opt);
}

audio::Audio join_continuation(audio::Renderer& r, const audio::Signal& clip, const score::Score& added, double seam_s,
                               audio::JoinReport* report) {
  const int rate = r.options().sample_rate;
  const audio::Audio rendered = r.render(added);
  if (clip.sample_rate == rate) return audio::join_at(clip, rendered, seam_s, 0.05, report);
  return audio::join_at(audio::resample(clip, rate), rendered, seam_s, 0.05, report);
}

double median_offgrid_ms(const score::Score& added, double bpm) {
  std::vector<double> ms;
  const int64_t step = std::max(1, added.ticks_per_beat / 4);
  for (const auto& tr : added.tracks)
    for (const auto& n : tr.notes) {
      const int64_t r = n.start.count() % step;
      ms.push_back(double(std::min(r, step - r)) / added.ticks_per_beat * 60000.0 / bpm);
    }
  if (ms.empty()) return 0.0;
  std::nth_element(ms.begin(), ms.begin() + ptrdiff_t(ms.size() / 2), ms.end());
  return ms[ms.size() / 2];
}

}  // namespace continuo::tasks
