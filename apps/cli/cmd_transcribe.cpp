// `continuo transcribe`: a recording to a MIDI file on a beat grid (basic-pitch port + beat tracker).
#include <chrono>
#include <cstdio>
#include <iostream>

#include "cli/cli.hpp"
#include "continuo/error.hpp"
#include "continuo/midi.hpp"
#include "continuo/tasks.hpp"
#include "continuo/transcribe.hpp"

namespace continuo::cli {
namespace {

struct TranscribeArgs {
  std::string in, out, model_input, instrument = "piano";
  double onset_threshold = 0.5, frame_threshold = 0.3, min_note_ms = 127.7, max_seconds = 600;
  bool no_melodia = false;
};

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

Verb transcribe_verb{"transcribe", "Transcribe a recording (WAV, FLAC, Ogg/Opus, MP3) to MIDI on its beat grid", [](CLI::App& app) {
  auto a = std::make_shared<TranscribeArgs>();
  app.add_option("input", a->in, "audio file")->required();
  app.add_option("-o,--out", a->out, "output MIDI file")->required();
  app.add_option("--onset-threshold", a->onset_threshold, "onset posterior needed to start a note")->check(CLI::Range(0.0, 1.0));
  app.add_option("--frame-threshold", a->frame_threshold, "note posterior needed to keep a note sounding")->check(CLI::Range(0.0, 1.0));
  app.add_option("--min-note-ms", a->min_note_ms, "shortest note kept, in milliseconds")->check(CLI::Range(0.0, 10000.0));
  app.add_flag("--no-melodia", a->no_melodia, "only notes that start at a detected onset (no \"melodia trick\")");
  app.add_option("--instrument", a->instrument, "GM instrument of the MIDI track (name or number)");
  app.add_option("--max-seconds", a->max_seconds, "refuse longer recordings")->check(CLI::Range(1.0, 3600.0));
  app.add_option("--dump-model-input", a->model_input,
                 "also write the 22050 Hz mono samples the model saw (raw float32; see tools/basic_pitch_tfjs_reference.mjs)");
  return [a] {
    const auto t0 = std::chrono::steady_clock::now();
    audio::DecodeLimits limits;
    limits.max_seconds = a->max_seconds;
    const audio::Signal s = audio::decode_file(a->in, limits);
    const audio::BasicPitch bp = audio::BasicPitch::load(audio::default_basic_pitch_dir());
    audio::NoteOptions opt;
    opt.onset_threshold = float(a->onset_threshold);
    opt.frame_threshold = float(a->frame_threshold);
    opt.min_note_frames = int(std::lround(a->min_note_ms / 1000.0 * audio::kBasicPitchRate / audio::kBasicPitchHop));
    opt.melodia_trick = !a->no_melodia;
    const auto instruments = tasks::parse_instruments(a->instrument);
    audio::Signal model_input;
    audio::Transcription t;
    try {
      t = audio::transcribe(s, bp, opt, instruments.at(0).program, &model_input);
    } catch (const Error& e) {
      throw Error(e.code(), a->in + ": " + e.what());
    }
    score::save(t.score, a->out);
    if (!a->model_input.empty()) {
      const auto* p = reinterpret_cast<const uint8_t*>(model_input.samples.data());
      write_file_atomic(a->model_input, std::span<const uint8_t>(p, model_input.samples.size() * sizeof(float)));
    }
    std::cout << "wrote " << a->out << "\n";
    std::fprintf(stderr, "%zu notes, %.1f BPM, %.2f s of audio transcribed in %.2f s\n", t.notes.size(), t.grid.bpm,
                 s.seconds(), since(t0));
    return 0;
  };
}, 14};

}  // namespace
}  // namespace continuo::cli
