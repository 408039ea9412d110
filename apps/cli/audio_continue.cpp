// The audio side of `continuo continue` (see audio_continue.hpp).
#include "cli/audio_continue.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli/cli.hpp"
#include "continuo/audio.hpp"
#include "continuo/error.hpp"
#include "continuo/tasks.hpp"
#include "continuo/transcribe.hpp"

namespace continuo::cli {
namespace {
namespace fs = std::filesystem;

// The last downbeat at or before the end of the recording (the last beat when no downbeat fits).
double seam_time(const audio::BeatGrid& g, double end_s) {
  double seam = -1;
  for (size_t i = size_t(g.first_downbeat); i < g.beats.size(); i += size_t(g.beats_per_bar))
    if (g.beats[i] <= end_s && g.beats[i] > 0) seam = g.beats[i];
  if (seam > 0) return seam;
  for (double b : g.beats)
    if (b <= end_s) seam = b;
  return std::max(seam, 0.0);
}

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

std::string variation_path(const std::string& out, int v, int n) {
  if (n == 1) return out;
  fs::path p(out);
  return (p.parent_path() / (p.stem().string() + "-" + std::to_string(v + 1) + p.extension().string())).string();
}

// How well the continuation keeps the clip's beat: the median distance, in ms, of its note onsets
// from the nearest sixteenth note of the clip's beat grid (the tempo map both share; the model is
// free to place notes anywhere on its tick grid, so this measures the model's timing).
double median_offgrid_ms(const score::Score& added, double bpm) {
  std::vector<double> ms;
  const int64_t step = added.ticks_per_beat / 4;
  for (const auto& tr : added.tracks)
    for (const auto& n : tr.notes) {
      const int64_t r = n.start.count() % step;
      ms.push_back(double(std::min(r, step - r)) / added.ticks_per_beat * 60000.0 / bpm);
    }
  if (ms.empty()) return 0.0;
  std::nth_element(ms.begin(), ms.begin() + ptrdiff_t(ms.size() / 2), ms.end());
  return ms[ms.size() / 2];
}

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int continue_recording(const AudioContinueArgs& a) {
  const auto t0 = std::chrono::steady_clock::now();
  audio::DecodeLimits limits;
  limits.max_seconds = a.max_seconds;
  const audio::Signal clip = audio::decode_file(a.in, limits);
  const int program = tasks::parse_instruments(a.instrument).at(0).program;
  audio::Transcription heard;
  try {
    heard = audio::transcribe(clip, audio::BasicPitch::load(audio::default_basic_pitch_dir()), {}, program);
  } catch (const Error& e) {
    throw Error(e.code(), a.in + ": " + e.what());
  }
  const double t_transcribe = since(t0);

  const double seam_s = seam_time(heard.grid, clip.seconds());
  const int tpb = heard.score.ticks_per_beat;
  const Ticks seam_tick((score::seconds_to_tick(heard.score, Seconds(seam_s)).count() + tpb / 2) / tpb * tpb);
  // the model reads the heard notes snapped to sixteenths of the tracked grid: it was trained on
  // notated timing and copies what it reads, so an unsnapped prompt gives a loose continuation
  const score::Score prompt = prompt_before(score::quantize(heard.score, 4), seam_tick);
  if (std::all_of(prompt.tracks.begin(), prompt.tracks.end(), [](const auto& t) { return t.notes.empty(); }))
    throw Error(ErrorCode::kInvalidArgument, a.in + ": no notes heard before the last downbeat (" +
                                                 std::to_string(seam_s) + " s)");
  const Ticks end_tick = score::seconds_to_tick(heard.score, Seconds(seam_s + a.seconds));

  // enough events for the wanted seconds at the prompt's own density, with room to spare
  tasks::ContinueOptions opt;
  opt.sampling = a.sampling;
  opt.sampling.allow_tempo_changes = false;
  opt.sampling.allow_timesig_changes = false;
  const size_t prompt_n = tasks::prompt_events(prompt, 0, opt.sampling.allow_controls).size();
  const double per_second = double(prompt_n) / std::max(1.0, seam_s);
  opt.sampling.events = std::clamp(int(std::ceil(per_second * a.seconds * 1.5)) + 16, 32, 4096);
  const auto m = engine::Model::load(model::find_model(a.model));
  const auto outs = tasks::continue_score(m, prompt, opt);
  const double t_continue = since(t0) - t_transcribe;

  audio::RenderOptions ro;
  ro.soundfont = a.soundfont;
  ro.sample_rate = clip.sample_rate;
  audio::Renderer renderer(ro);
  for (size_t v = 0; v < outs.size(); ++v) {
    score::Score added = score::slice_ticks(outs[v], seam_tick, end_tick);
    for (auto& tr : added.tracks)
      if (!tr.is_drum) tr.program = uint8_t(program);
    const audio::Audio rendered = renderer.render(added);
    audio::JoinReport rep;
    const audio::Audio joined = audio::join_at(clip, rendered, seam_s, 0.05, &rep);
    const std::string wav = variation_path(a.out_wav, int(v), int(outs.size()));
    audio::save_wav(joined, wav);
    std::cout << "wrote " << wav << "\n";
    if (!a.out_midi.empty()) {
      // what was heard (all of it, on its beat grid) and what was added after the seam
      score::Score both = heard.score;
      score::Track add;
      add.name = "continuation";
      add.channel = 1;
      add.program = uint8_t(program);
      for (const auto& tr : outs[v].tracks)
        for (const auto& n : tr.notes)
          if (n.start >= seam_tick && n.start < end_tick) add.notes.push_back(n);
      std::sort(add.notes.begin(), add.notes.end());
      both.tracks.push_back(std::move(add));
      const std::string mid = variation_path(a.out_midi, int(v), int(outs.size()));
      score::save(both, mid);
      std::cout << "wrote " << mid << "\n";
    }
    std::fprintf(stderr,
                 "seam at %.2f s (a downbeat), continuation %.1f s, gain %+.1f dB (clip's last 2 s %.1f dBFS, "
                 "continuation %.1f dBFS), largest step at the seam %.4f (clip's own %.4f), continuation's onsets "
                 "%.0f ms (median) from the clip's sixteenth-note grid\n",
                 rep.seam_s, rendered.seconds(), rep.gain_db, rep.clip_last_db, rep.cont_db, rep.max_step_seam,
                 rep.max_step_clip, median_offgrid_ms(added, heard.grid.bpm));
  }
  std::fprintf(stderr,
               "%zu notes heard, %.1f BPM; transcribed in %.2f s, continued in %.2f s, all in %.2f s. The added "
               "part is a General MIDI rendering (FluidSynth), not the recording's own sound.\n",
               heard.notes.size(), heard.grid.bpm, t_transcribe, t_continue, since(t0));
  return 0;
}

}  // namespace continuo::cli
