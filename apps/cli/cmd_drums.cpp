// `continuo groove`, `continuo drumify`, `continuo eval-groove`, `continuo eval-drumify`.
// Inference and evaluation run the plain C++ networks (no libtorch needed).
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <random>

#include "cli/cli.hpp"
#include "continuo/drums.hpp"
#include "continuo/error.hpp"
#include "continuo/midi.hpp"

namespace continuo::cli {
namespace {
namespace fs = std::filesystem;

void check_out(const std::string& out) {
  fs::path dir = fs::path(out).parent_path();
  if (!dir.empty() && !fs::is_directory(dir))
    throw Error(ErrorCode::kNotFound, out + ": the folder " + dir.string() + " does not exist");
  if (fs::is_directory(out)) throw Error(ErrorCode::kInvalidArgument, out + ": is a folder; give a file name");
}

// Errors about the input file name the file.
score::Score load_input(const std::string& path) {
  score::Score s = score::load(path);
  bool notes = false;
  for (const auto& t : s.tracks) notes |= !t.notes.empty();
  if (!notes) throw Error(ErrorCode::kInvalidArgument, path + ": the file has no notes");
  return s;
}

struct GrooveArgs {
  std::string in, out, model = "groove";
  double strength = 1.0;
};

Verb groove_verb{"groove", "Humanize a quantized drum part (timing and velocity of real drummers)", [](CLI::App& app) {
  auto a = std::make_shared<GrooveArgs>();
  app.add_option("input", a->in, "MIDI file with a drum part (channel 10)")->required();
  app.add_option("-o,--out", a->out, "output MIDI file")->required();
  app.add_option("-m,--model", a->model, "groove model name or folder");
  app.add_option("--strength", a->strength, "0 = unchanged, 1 = as learned, up to 2 = exaggerated")
      ->check(CLI::Range(0.0, 2.0));
  return [a] {
    check_out(a->out);
    score::Score s = load_input(a->in);
    auto net = drums::Net::load(model::find_model(a->model));
    drums::GrooveOptions o;
    o.strength = a->strength;
    score::Score out;
    try {
      out = drums::groove(net, s, o);
    } catch (const Error& e) {
      throw Error(e.code(), a->in + ": " + e.what());
    }
    score::save(out, a->out);
    std::cout << "wrote " << a->out << "\n";
    return 0;
  };
}, 14};

struct DrumifyArgs {
  std::string in, out, model = "drumify", style, seed = "random";
  std::vector<int> tracks;
  int variations = 1;
  double temperature = 0.0;
  bool drums_only = false;
};

Verb drumify_verb{"drumify", "Write a drum track that follows the rhythm of a melody, bass line or any part", [](CLI::App& app) {
  auto a = std::make_shared<DrumifyArgs>();
  app.add_option("input", a->in, "MIDI file to follow")->required();
  app.add_option("-o,--out", a->out, "output MIDI file (OUT-1.mid, OUT-2.mid ... for several variations)")->required();
  app.add_option("-m,--model", a->model, "drumify model name or folder");
  app.add_option("--style", a->style, "drum style (e.g. rock, funk, jazz, latin, hiphop; 'any' = let the model choose)");
  app.add_option("--track", a->tracks, "track(s) to follow, numbered from 0 as `continuo info` lists them (default: every non-drum track)");
  app.add_option("-v,--variations", a->variations, "variations (several are sampled: -t 0 then means 0.5)")
      ->check(CLI::Range(1, 16));
  app.add_option("-t,--temperature", a->temperature, "0 = the hits the model is sure of; higher = more varied")
      ->check(CLI::Range(0.0, 5.0));
  app.add_option("-s,--seed", a->seed, "random seed (a number, or 'random')");
  app.add_flag("--drums-only", a->drums_only, "write only the drum track (default: the input plus the drums)");
  return [a] {
    check_out(a->out);
    score::Score s = load_input(a->in);
    auto net = drums::Net::load(model::find_model(a->model));
    drums::DrumifyOptions o;
    o.style = a->style;
    o.tracks = a->tracks;
    o.variations = a->variations;
    o.temperature = a->temperature;
    o.keep_input = !a->drums_only;
    if (a->variations > 1 && a->temperature == 0) o.temperature = 0.5;   // variations need sampling
    if (a->seed == "random") {
      o.seed = std::random_device{}() % 1000000;
    } else {
      try {
        size_t used = 0;
        o.seed = std::stoull(a->seed, &used);
        if (used != a->seed.size()) throw std::invalid_argument(a->seed);
      } catch (const std::exception&) {
        throw Error(ErrorCode::kInvalidArgument, "--seed must be a non-negative number or 'random', not '" + a->seed + "'");
      }
    }
    std::vector<score::Score> outs;
    try {
      outs = drums::drumify(net, s, o);
    } catch (const Error& e) {
      throw Error(e.code(), a->in + ": " + e.what());
    }
    fs::path p(a->out);
    for (size_t i = 0; i < outs.size(); ++i) {
      std::string path = outs.size() == 1 ? a->out
                                          : (p.parent_path() / (p.stem().string() + "-" + std::to_string(i + 1) +
                                                                (p.has_extension() ? p.extension().string() : ".mid")))
                                                .string();
      score::save(outs[i], path);
      std::cout << "wrote " << path << "\n";
    }
    std::fprintf(stderr, "seed %llu, temperature %.2f\n", (unsigned long long)o.seed, o.temperature);
    return 0;
  };
}, 15};

struct EvalArgs {
  std::string data, model, split = "test";
  bool with_style = false;
};

std::string default_gmd() {
  if (const char* d = std::getenv("CONTINUO_DATA")) return (fs::path(d) / "groove-midi").string();
  if (const char* h = std::getenv("HOME")) return (fs::path(h) / ".cache/continuo/data/groove-midi").string();
  return "groove-midi";
}

void add_eval(CLI::App& app, EvalArgs& a, const char* model) {
  a.model = model;
  a.data = default_gmd();
  app.add_option("--data", a.data, "groove-midi folder (with info.csv)");
  app.add_option("-m,--model", a.model, "model name or folder");
  app.add_option("--split", a.split, "held-out split to score: test or validation")
      ->check(CLI::IsMember({"test", "validation"}));
}

Verb eval_groove_verb{"eval-groove", "Held-out Groove numbers on the Groove MIDI Dataset vs baselines (JSON)", [](CLI::App& app) {
  auto a = std::make_shared<EvalArgs>();
  add_eval(app, *a, "groove");
  return [a] {
    auto net = drums::Net::load(model::find_model(a->model));
    auto train = drums::load_gmd(a->data, "train");
    auto test = drums::load_gmd(a->data, a->split);
    auto r = drums::eval_groove(net, train, test);
    std::cout << r.to_json() << "\n";
    return 0;
  };
}, 70};

Verb eval_drumify_verb{"eval-drumify", "Held-out Drumify numbers on the Groove MIDI Dataset vs a baseline (JSON)", [](CLI::App& app) {
  auto a = std::make_shared<EvalArgs>();
  add_eval(app, *a, "drumify");
  app.add_flag("--with-style", a->with_style, "tell the model each groove's style (default: style 'any')");
  return [a] {
    auto net = drums::Net::load(model::find_model(a->model));
    auto train = drums::load_gmd(a->data, "train");
    auto test = drums::load_gmd(a->data, a->split);
    auto r = drums::eval_drumify(net, train, test, a->with_style);
    std::cout << r.to_json() << "\n";
    return 0;
  };
}, 71};

}  // namespace
}  // namespace continuo::cli
