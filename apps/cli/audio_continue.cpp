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
#include "continuo/recording.hpp"
#include "continuo/tasks.hpp"
#include "continuo/transcribe.hpp"

namespace continuo::cli {
namespace {
namespace fs = std::filesystem;

std::string variation_path(const std::string& out, int v, int n) {
  if (n == 1) return out;
  fs::path p(out);
  return (p.parent_path() / (p.stem().string() + "-" + std::to_string(v + 1) + p.extension().string())).string();
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

  tasks::RecordingOptions ro;
  ro.seconds = a.seconds;
  ro.program = program;
  ro.sampling = a.sampling;
  ro.sampling.events = 0;   // enough for the wanted seconds
  tasks::RecordingContinuation cont;
  try {
    cont = tasks::continue_recording(engine::Model::load(model::find_model(a.model)), heard, clip.seconds(), ro);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kInvalidArgument) throw;
    throw Error(e.code(), a.in + ": " + e.what());
  }
  const double t_continue = since(t0) - t_transcribe;

  audio::RenderOptions render_opt;
  render_opt.soundfont = a.soundfont;
  render_opt.sample_rate = clip.sample_rate;
  audio::Renderer renderer(render_opt);
  const int n = int(cont.added.size());
  for (int v = 0; v < n; ++v) {
    audio::JoinReport rep;
    const audio::Audio joined = tasks::join_continuation(renderer, clip, cont.added[size_t(v)], cont.seam_s, &rep);
    const std::string wav = variation_path(a.out_wav, v, n);
    audio::save_wav(joined, wav);
    std::cout << "wrote " << wav << "\n";
    if (!a.out_midi.empty()) {
      const std::string mid = variation_path(a.out_midi, v, n);
      score::save(cont.both[size_t(v)], mid);
      std::cout << "wrote " << mid << "\n";
    }
    std::fprintf(stderr,
                 "seam at %.2f s (a downbeat), continuation %.1f s, gain %+.1f dB (clip's last 2 s %.1f dBFS, "
                 "continuation %.1f dBFS), largest step at the seam %.4f (clip's own %.4f), continuation's onsets "
                 "%.0f ms (median) from the clip's sixteenth-note grid\n",
                 rep.seam_s, joined.seconds() - rep.seam_s, rep.gain_db, rep.clip_last_db, rep.cont_db, rep.max_step_seam,
                 rep.max_step_clip, tasks::median_offgrid_ms(cont.added[size_t(v)], heard.grid.bpm));
  }
  std::fprintf(stderr,
               "%zu notes heard, %.1f BPM; transcribed in %.2f s, continued in %.2f s, all in %.2f s. The added "
               "part is a General MIDI rendering (FluidSynth), not the recording's own sound.\n",
               heard.notes.size(), heard.grid.bpm, t_transcribe, t_continue, since(t0));
  return 0;
}

}  // namespace continuo::cli
