// `continuo continue`, `continuo generate`: sampling options as in MIDI Composer.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <random>
#include <tuple>

#include "cli/audio_continue.hpp"
#include "cli/cli.hpp"
#include "cli/vae_cli.hpp"
#include "continuo/drums.hpp"
#include "continuo/error.hpp"
#include "continuo/tasks.hpp"
#include "continuo/transcribe.hpp"

namespace continuo::cli {
namespace {
namespace fs = std::filesystem;

struct SamplingArgs {
  std::string model = "default";
  std::string out;
  int events = 256;
  int variations = 1;
  float temperature = 1.0f;
  float top_p = 0.98f;
  int top_k = 0;
  float key_strength = 0.5f;
  float key_anchor = -1.0f;
  float copy_anchor = -1.0f;
  float loop_guard = 1.0f;
  float part_balance = -1.0f;
  float pitched_anchor = -1.0f;
  std::string seed = "random";
  bool no_controls = false;
  std::string bpm, time_signature, key;
};

void add_sampling(CLI::App& app, SamplingArgs& a) {
  app.add_option("-o,--out", a.out, "output MIDI file (OUT-1.mid, OUT-2.mid ... for several variations)")->required();
  app.add_option("-m,--model", a.model, "model name (see `continuo models`) or folder");
  app.add_option("-n,--events", a.events, "events to generate")->check(CLI::Range(1, 8192));
  app.add_option("-v,--variations", a.variations, "variations to generate at once")->check(CLI::Range(1, 16));
  app.add_option("-t,--temperature", a.temperature, "sampling temperature (0 = always the likeliest)")->check(CLI::Range(0.0, 5.0));
  app.add_option("-p,--top-p", a.top_p, "nucleus sampling mass")->check(CLI::Range(0.01, 1.0));
  app.add_option("-k,--top-k", a.top_k, "sample among the k likeliest (0 = off)")->check(CLI::Range(0, 1000));
  app.add_option("--key-strength", a.key_strength,
                 "keep the key: bias pitches towards the pitch classes of the recent notes (0 = the model alone)")
      ->check(CLI::Range(0.0, 10.0));
  app.add_option("--key-anchor", a.key_anchor,
                 "share of the model's key prior that reads the prompt as a whole instead of the recent notes "
                 "(0 = as trained; default: the model's own, see its card)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--copy-anchor", a.copy_anchor,
                 "groove anchor: the least weight, times the prompt's share of repeats, of a part the prompt "
                 "repeated at a period of bars (0 = off; default: the model's own, see its card)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--loop-guard", a.loop_guard,
                 "share of the copy path kept once a bar repeats more often than the prompt ever repeated one (1 = off)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--pitched-anchor", a.pitched_anchor,
                 "with the groove anchor, anchor a pitched part too when the prompt repeats at least this share of "
                 "its notes at a period of bars: its riff or phrase goes on (0 = off; default: the model's own)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--part-balance", a.part_balance,
                 "keep the prompt's parts playing: raise a part that falls silent, lower one that crowds out the others "
                 "(0 = off; default: the model's own, see its card)")
      ->check(CLI::Range(0.0, 4.0));
  app.add_option("-s,--seed", a.seed, "random seed (a number, or 'random')");
  app.add_flag("--no-controls", a.no_controls, "forbid control changes (pedal, volume, pan...)");
  app.add_option("--bpm", a.bpm, "tempo in beats per minute");
  app.add_option("--time-signature", a.time_signature, "metre, e.g. 3/4 or 6/8");
  app.add_option("--key", a.key, "key, e.g. 'D major', 'F# minor', 'Bb'");
}

engine::SampleOptions sampling(const SamplingArgs& a, uint64_t* seed_out) {
  engine::SampleOptions s;
  s.events = a.events;
  s.variations = a.variations;
  s.temperature = a.temperature;
  s.top_p = a.top_p;
  s.top_k = a.top_k;
  s.key_strength = a.key_strength;
  s.key_anchor = a.key_anchor;
  s.copy_anchor = a.copy_anchor;
  s.loop_guard = a.loop_guard;
  s.part_balance = a.part_balance;
  s.pitched_anchor = a.pitched_anchor;
  s.allow_controls = !a.no_controls;
  if (a.seed == "random") {
    s.seed = std::random_device{}() % 1000000;
  } else {
    try {
      size_t used = 0;
      s.seed = std::stoull(a.seed, &used);
      if (used != a.seed.size()) throw std::invalid_argument(a.seed);
    } catch (const std::exception&) {
      throw Error(ErrorCode::kInvalidArgument, "--seed must be a non-negative number or 'random', not '" + a.seed + "'");
    }
  }
  *seed_out = s.seed;
  return s;
}

tasks::Conditioning conditioning(const SamplingArgs& a) {
  tasks::Conditioning c;
  if (!a.bpm.empty()) {
    try {
      size_t used = 0;
      c.bpm = std::stod(a.bpm, &used);
      if (used != a.bpm.size()) throw std::invalid_argument(a.bpm);
    } catch (const std::exception&) {
      throw Error(ErrorCode::kInvalidArgument, "--bpm must be a number, not '" + a.bpm + "'");
    }
  }
  if (!a.time_signature.empty()) c.time_signature = tasks::parse_time_signature(a.time_signature);
  if (!a.key.empty()) c.key = tasks::parse_key(a.key);
  return c;
}

std::vector<std::string> output_paths(const std::string& out, int n) {
  if (n == 1) return {out};
  fs::path p(out);
  std::string ext = p.has_extension() ? p.extension().string() : ".mid";
  std::vector<std::string> v;
  for (int i = 1; i <= n; ++i) v.push_back((p.parent_path() / (p.stem().string() + "-" + std::to_string(i) + ext)).string());
  return v;
}

void check_output(const std::string& out) {
  fs::path dir = fs::path(out).parent_path();
  if (!dir.empty() && !fs::is_directory(dir))
    throw Error(ErrorCode::kNotFound, out + ": the folder " + dir.string() + " does not exist");
  if (fs::is_directory(out)) throw Error(ErrorCode::kInvalidArgument, out + ": is a folder; give a file name");
}

int write_outputs(const std::vector<score::Score>& outs, const SamplingArgs& a, uint64_t seed, double secs,
                  int new_events) {
  auto paths = output_paths(a.out, int(outs.size()));
  for (size_t i = 0; i < outs.size(); ++i) {
    score::save(outs[i], paths[i]);
    std::cout << "wrote " << paths[i] << "\n";
  }
  std::fprintf(stderr, "%d new events in %.3f s (%.0f events/s), seed %llu\n", new_events, secs,
               new_events / std::max(secs, 1e-9), (unsigned long long)seed);
  return 0;
}

// Runs `sample` with a progress bar counting new events over all variations, times it, and
// writes the results.
int sample_and_write(const char* label, const engine::SampleOptions& so, const SamplingArgs& a, uint64_t seed,
                     const std::function<std::vector<score::Score>(const tasks::ProgressFn&)>& sample) {
  ProgressBar bar(label);
  const double total = double(so.events) * so.variations;
  int done = 0;
  const auto t0 = std::chrono::steady_clock::now();
  auto outs = sample([&](int, int) {
    ++done;
    bar.update(done / total, std::to_string(done) + " events");
    return true;
  });
  bar.finish();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return write_outputs(outs, a, seed, secs, done);
}

struct ContinueArgs : SamplingArgs {
  std::string in;
  size_t prompt_events = 0;
  // a recording as input (recognised by its first bytes)
  std::string midi_out, instrument = "piano", soundfont;
  double seconds = 15;
  double max_seconds = 600;
};

bool is_recording(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::vector<uint8_t> head(16, 0);
  f.read(reinterpret_cast<char*>(head.data()), std::streamsize(head.size()));
  head.resize(size_t(f.gcount()));
  const std::string kind = audio::sniff_format(head);
  return !kind.empty() && kind != "midi";
}

Verb continue_verb{"continue", "Continue a MIDI file, or a recording (audio in, audio out), with the model", [](CLI::App& app) {
  auto a = std::make_shared<ContinueArgs>();
  app.add_option("input", a->in, "MIDI file, or a recording (WAV, FLAC, Ogg/Opus, MP3) to continue")->required();
  app.add_option("--prompt-events", a->prompt_events, "use only the first N events of the file as the prompt (0 = all)");
  add_sampling(app, *a);
  app.get_option("--out")->description("output MIDI file, or WAV file for a recording (OUT-1, OUT-2 ... for several variations)");
  app.add_option("--seconds", a->seconds, "recording: seconds of continuation")->check(CLI::Range(1.0, 300.0));
  app.add_option("--midi", a->midi_out, "recording: also write the MIDI of what was heard and what was added");
  app.add_option("--instrument", a->instrument,
                 "recording: GM instrument that plays the transcription and the continuation (name or number); "
                 "the added part is a General MIDI rendering, not the recording's own sound");
  app.add_option("--soundfont", a->soundfont, "recording: SF2 soundfont (default: $CONTINUO_SOUNDFONT or FluidR3_GM.sf2)");
  app.add_option("--max-seconds", a->max_seconds, "recording: refuse longer recordings")->check(CLI::Range(1.0, 3600.0));
  return [a] {
    check_output(a->out);
    uint64_t seed = 0;
    engine::SampleOptions so = sampling(*a, &seed);
    if (is_recording(a->in)) {
      if (!a->midi_out.empty()) check_output(a->midi_out);
      AudioContinueArgs ac;
      ac.in = a->in;
      ac.out_wav = a->out;
      ac.out_midi = a->midi_out;
      ac.model = a->model;
      ac.instrument = a->instrument;
      ac.soundfont = a->soundfont;
      ac.seconds = a->seconds;
      ac.max_seconds = a->max_seconds;
      ac.sampling = so;
      const int rc = continue_recording(ac);
      std::fprintf(stderr, "seed %llu\n", (unsigned long long)seed);
      return rc;
    }
    score::Score prompt = score::load(a->in);
    tasks::ContinueOptions opt;
    opt.sampling = so;
    opt.prompt_events = a->prompt_events;
    opt.override_ = conditioning(*a);
    auto m = engine::Model::load(model::find_model(a->model));
    return sample_and_write("continue", opt.sampling, *a, seed, [&](const tasks::ProgressFn& progress) {
      return tasks::continue_score(m, prompt, opt, progress);
    });
  };
}, 10};

struct GenerateArgs : SamplingArgs {
  std::string instruments;
  std::string drums;
  std::string clip;   // melody / drums: a short clip from the clip VAEs (cli/vae_cli.hpp)
  int bars = 2;
};

Verb generate_verb{"generate", "Generate a new piece (optionally with instruments, drums, tempo, metre, key)", [](CLI::App& app) {
  auto a = std::make_shared<GenerateArgs>();
  add_sampling(app, *a);
  app.add_option("--instruments", a->instruments, "comma-separated GM instruments, names or numbers (e.g. 'piano,acoustic bass,33')");
  app.add_option("--drums", a->drums, "add a drum kit: standard, room, power, electronic, tr-808, jazz, brush, orchestra")
      ->expected(0, 1)->default_str("standard");
  app.add_option("--clip", a->clip, "a short clip from the clip VAEs instead: melody or drums")
      ->check(CLI::IsMember({"melody", "drums"}));
  app.add_option("--bars", a->bars, "bars of a --clip (4/4)")->check(CLI::Range(1, 16));
  return [a] {
    if (!a->clip.empty()) {
      uint64_t clip_seed = 0;
      sampling(*a, &clip_seed);
      return generate_clip(a->clip, a->bars, a->model == "default" ? "" : a->model, a->out, a->variations,
                           a->temperature, clip_seed, a->bpm);
    }
    check_output(a->out);
    tasks::GenerateOptions opt;
    uint64_t seed = 0;
    opt.sampling = sampling(*a, &seed);
    opt.sampling.allow_eos = false;
    opt.conditioning = conditioning(*a);
    if (!a->instruments.empty()) opt.conditioning.instruments = tasks::parse_instruments(a->instruments);
    if (!a->drums.empty()) opt.conditioning.instruments.push_back({tasks::parse_drum_kit(a->drums), true});
    auto m = engine::Model::load(model::find_model(a->model));
    return sample_and_write("generate", opt.sampling, *a, seed, [&](const tasks::ProgressFn& progress) {
      return tasks::generate_score(m, opt, progress);
    });
  };
}, 11};

// Shared by infill and accompany: the sampling options, less the ones that do not apply.
struct RewriteArgs : SamplingArgs {
  std::string in;
  int candidates = 0;
};

void add_rewrite(CLI::App& app, RewriteArgs& a, int candidates, const char* what) {
  app.add_option("input", a.in, "MIDI file")->required();
  add_sampling(app, a);
  app.remove_option(app.get_option("--events"));
  app.remove_option(app.get_option("--bpm"));
  app.remove_option(app.get_option("--time-signature"));
  app.remove_option(app.get_option("--key"));
  a.candidates = candidates;
  app.add_option("--candidates", a.candidates, what)->check(CLI::Range(1, 64));
}

int rewrite_and_write(const char* label, const RewriteArgs& a, uint64_t seed,
                      const std::function<std::vector<score::Score>(const tasks::RewriteProgressFn&)>& run) {
  ProgressBar bar(label);
  int done = 0;
  const auto t0 = std::chrono::steady_clock::now();
  auto outs = run([&](double share, int events) {
    done = events;
    bar.update(share, std::to_string(events) + " events");
    return true;
  });
  bar.finish();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return write_outputs(outs, a, seed, secs, done);
}

struct InfillArgs : RewriteArgs {
  std::string bars, tracks;
  int lookahead = 2;
  double vary = tasks::InfillOptions().vary_share;
  float vary_strength = tasks::InfillOptions().vary_strength;
  double max_repeat = tasks::InfillOptions().max_repeat;
  double range_weight = tasks::InfillOptions().range_weight;
  double match_weight = tasks::InfillOptions().match_weight;
  float steer = tasks::InfillOptions().steer_strength;
};

Verb infill_verb{"infill", "Write bars A-B of a MIDI file anew (some tracks or all), leading into what follows", [](CLI::App& app) {
  auto a = std::make_shared<InfillArgs>();
  app.add_option("--bars", a->bars, "the passage: bars A-B (or one bar A), numbered from 1")->required();
  app.add_option("--tracks", a->tracks, "tracks to rewrite, numbered as `continuo info` shows them, e.g. 1,3 (default: all)");
  add_rewrite(app, *a, tasks::InfillOptions().candidates, "versions drawn per variation; the one under which the following bars are likeliest is kept");
  app.add_option("--lookahead", a->lookahead, "bars after the passage that choose among the versions")->check(CLI::Range(0, 16));
  app.add_option("--vary", a->vary,
                 "share of the versions written as variations of the bars just before the passage (0: none)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--vary-strength", a->vary_strength, "how closely those variations keep to the bars before (0-1)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--max-repeat", a->max_repeat,
                 "a version repeating more than this share of the bars before's notes is kept only if all do (1: no limit)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--range-weight", a->range_weight,
                 "how strongly the choice avoids notes outside their track's pitch range in the rest of the piece (0: not weighed)")
      ->check(CLI::Range(0.0, 100.0))
      ->capture_default_str();
  app.add_option("--match-weight", a->match_weight,
                 "share of the passage's expected note count taken from the bars elsewhere in the piece whose surroundings "
                 "look most like the passage's (0: the bars around alone)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--steer", a->steer,
                 "how strongly each version's note count is steered toward the expected count as it is written (0: not at all)")
      ->check(CLI::Range(0.0, 10.0))
      ->capture_default_str();
  return [a] {
    check_output(a->out);
    score::Score s = score::load(a->in);
    tasks::InfillOptions opt;
    uint64_t seed = 0;
    opt.sampling = sampling(*a, &seed);
    std::tie(opt.first_bar, opt.last_bar) = tasks::parse_bar_range(a->bars);
    if (!a->tracks.empty()) opt.tracks = tasks::parse_track_list(a->tracks);
    opt.candidates = a->candidates;
    opt.lookahead_bars = a->lookahead;
    opt.vary_share = a->vary;
    opt.vary_strength = a->vary_strength;
    opt.max_repeat = a->max_repeat;
    opt.range_weight = a->range_weight;
    opt.match_weight = a->match_weight;
    opt.steer_strength = a->steer;
    auto m = engine::Model::load(model::find_model(a->model));
    return rewrite_and_write("infill", *a, seed, [&](const tasks::RewriteProgressFn& progress) {
      return tasks::infill(m, s, opt, progress);
    });
  };
}, 12};

struct AccompanyArgs : RewriteArgs {
  std::string keep, instruments, drums, drummer = "drumify";
  int chunk = 2;
  double melody_on_top = tasks::AccompanyOptions().melody_on_top;
  double follow_rhythm = tasks::AccompanyOptions().follow_rhythm;
};

Verb accompany_verb{"accompany", "Keep some tracks note for note and write new parts around them", [](CLI::App& app) {
  auto a = std::make_shared<AccompanyArgs>();
  app.add_option("--tracks-to-keep", a->keep, "tracks kept, numbered as `continuo info` shows them, e.g. 1 (default: all); the others are left out");
  app.add_option("--instruments", a->instruments,
                 "new parts: comma-separated GM instruments, names or numbers (default: a band of piano, bass and drums)");
  app.add_option("--drums", a->drums, "add a drum kit: standard, room, power, electronic, tr-808, jazz, brush, orchestra")
      ->expected(0, 1)->default_str("standard");
  add_rewrite(app, *a, 4, "versions drawn per chunk of bars; the one under which the kept tracks' next bars are likeliest is kept");
  app.add_option("--chunk-bars", a->chunk, "bars written and chosen at a time")->check(CLI::Range(1, 64));
  app.add_option("--melody-on-top", a->melody_on_top,
                 "how strongly the choice keeps the new parts under a kept melody (the highest kept part, when it is "
                 "one note at a time at or above middle C); 0: not at all")
      ->check(CLI::Range(0.0, 100.0))
      ->capture_default_str();
  app.add_option("--follow-rhythm", a->follow_rhythm,
                 "how strongly the choice favours new parts whose onsets meet the kept parts' (on a sixteenth-note grid); "
                 "0: not at all")
      ->check(CLI::Range(0.0, 100.0))
      ->capture_default_str();
  app.add_option("--drummer", a->drummer,
                 "who writes the drums: drumify (models/drumify, following the other parts' rhythm) or model (the "
                 "continuation model)")
      ->check(CLI::IsMember({"drumify", "model"}));
  return [a] {
    check_output(a->out);
    score::Score s = score::load(a->in);
    tasks::AccompanyOptions opt;
    uint64_t seed = 0;
    opt.sampling = sampling(*a, &seed);
    if (!a->keep.empty()) opt.keep = tasks::parse_track_list(a->keep);
    if (!a->instruments.empty()) opt.instruments = tasks::parse_instruments(a->instruments);
    if (!a->drums.empty()) opt.instruments.push_back({tasks::parse_drum_kit(a->drums), true});
    opt.candidates = a->candidates;
    opt.chunk_bars = a->chunk;
    opt.melody_on_top = a->melody_on_top;
    opt.follow_rhythm = a->follow_rhythm;
    auto m = engine::Model::load(model::find_model(a->model));
    std::optional<drums::Net> drummer;
    const bool drums_asked = std::any_of(opt.instruments.begin(), opt.instruments.end(), [](const auto& i) { return i.drums; }) ||
                             opt.instruments.empty();
    if (a->drummer == "drumify" && drums_asked) {
      try {
        drummer = drums::Net::load(model::find_model("drumify"));
        opt.drummer = &*drummer;
      } catch (const Error& e) {
        if (e.code() != ErrorCode::kNotFound) throw;
        std::cerr << "note: the drumify model is not installed (" << e.what() << "); the continuation model writes the drums\n";
      }
    }
    return rewrite_and_write("accompany", *a, seed, [&](const tasks::RewriteProgressFn& progress) {
      return tasks::accompany(m, s, opt, progress);
    });
  };
}, 13};

}  // namespace
}  // namespace continuo::cli
