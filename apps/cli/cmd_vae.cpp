// `continuo interpolate`, `continuo eval-vae` and `continuo generate --clip` (generate_clip): the
// clip VAEs of continuo/vae.hpp, run in plain C++ (no libtorch needed).
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <random>

#include "cli/cli.hpp"
#include "cli/vae_cli.hpp"
#include "continuo/error.hpp"
#include "continuo/vae.hpp"

namespace continuo::cli {
namespace {
namespace fs = std::filesystem;

void check_out_path(const std::string& out) {
  fs::path dir = fs::path(out).parent_path();
  if (!dir.empty() && !fs::is_directory(dir))
    throw Error(ErrorCode::kNotFound, out + ": the folder " + dir.string() + " does not exist");
  if (fs::is_directory(out)) throw Error(ErrorCode::kInvalidArgument, out + ": is a folder; give a file name");
}

std::string numbered(const std::string& out, size_t i) {
  fs::path p(out);
  return (p.parent_path() / (p.stem().string() + "-" + std::to_string(i) +
                             (p.has_extension() ? p.extension().string() : ".mid")))
      .string();
}

uint64_t parse_seed(const std::string& s) {
  if (s == "random") return std::random_device{}() % 1000000;
  try {
    size_t used = 0;
    const uint64_t v = std::stoull(s, &used);
    if (used != s.size()) throw std::invalid_argument(s);
    return v;
  } catch (const std::exception&) {
    throw Error(ErrorCode::kInvalidArgument, "--seed must be a non-negative number or 'random', not '" + s + "'");
  }
}

score::Score load_named(const std::string& path) {
  try {
    return score::load(path);
  } catch (const Error& e) {
    const std::string m = e.what();
    throw Error(e.code(), m.rfind(path, 0) == 0 ? m : path + ": " + m);
  }
}

std::string default_model(vae::Kind k) { return k == vae::Kind::kMelody ? "melody-vae" : "drums-vae"; }

struct InterpolateArgs {
  std::string a, b, out, model, seed = "1";
  int steps = 5;
  double temperature = 0.0;
};

Verb interpolate_verb{"interpolate", "Clips that move step by step from one melody or drum beat to another", [](CLI::App& app) {
  auto a = std::make_shared<InterpolateArgs>();
  app.add_option("a", a->a, "first MIDI file (a melody or a drum beat, best 1 to 4 bars)")->required();
  app.add_option("b", a->b, "second MIDI file (same kind and metre)")->required();
  app.add_option("-o,--out", a->out, "output name: writes OUT-1.mid (like A) ... OUT-N.mid (like B)")->required();
  app.add_option("-n,--steps", a->steps, "clips to write, A's and B's included")->check(CLI::Range(2, 64));
  app.add_option("-m,--model", a->model, "clip model name or folder (default: melody-vae or drums-vae)");
  app.add_option("-t,--temperature", a->temperature, "0 = the likeliest decoding; higher = more varied")
      ->check(CLI::Range(0.0, 5.0));
  app.add_option("-s,--seed", a->seed, "random seed (a number, or 'random')");
  return [a] {
    check_out_path(a->out);
    const score::Score sa = load_named(a->a), sb = load_named(a->b);
    for (auto [s, p] : {std::pair{&sa, &a->a}, std::pair{&sb, &a->b}}) {
      bool notes = false;
      for (const auto& t : s->tracks) notes |= !t.notes.empty();
      if (!notes) throw Error(ErrorCode::kInvalidArgument, *p + ": the file has no notes");
    }
    const vae::Kind kind = vae::kind_of(sa);
    auto net = vae::Vae::load(model::find_model(a->model.empty() ? default_model(kind) : a->model));
    vae::InterpolateOptions o;
    o.steps = a->steps;
    o.temperature = a->temperature;
    o.seed = parse_seed(a->seed);
    std::vector<score::Score> outs;
    try {
      outs = vae::interpolate(net, sa, sb, o);
    } catch (const Error& e) {
      throw Error(e.code(), a->a + ", " + a->b + ": " + e.what());
    }
    for (size_t i = 0; i < outs.size(); ++i) {
      const std::string path = numbered(a->out, i + 1);
      score::save(outs[i], path);
      std::cout << "wrote " << path << "\n";
    }
    std::fprintf(stderr, "%s, seed %llu, temperature %.2f\n", vae::kind_name(kind), (unsigned long long)o.seed,
                 o.temperature);
    return 0;
  };
}, 16};

struct EvalVaeArgs {
  std::string kind, data, model, split = "test";
};

std::string default_data() {
  if (const char* d = std::getenv("CONTINUO_DATA")) return d;
  if (const char* h = std::getenv("HOME")) return (fs::path(h) / ".cache/continuo/data").string();
  return "data";
}

Verb eval_vae_verb{"eval-vae", "Held-out reconstruction accuracy of the melody or drum clip VAE (JSON)", [](CLI::App& app) {
  auto a = std::make_shared<EvalVaeArgs>();
  a->data = default_data();
  app.add_option("kind", a->kind, "melody or drums")->required()->check(CLI::IsMember({"melody", "drums"}));
  app.add_option("--data", a->data, "the corpora folder (with folk-abc-music21, nottingham, pop909, groove-midi)");
  app.add_option("-m,--model", a->model, "clip model name or folder (default: melody-vae or drums-vae)");
  app.add_option("--split", a->split, "held-out split: test or validation")->check(CLI::IsMember({"test", "validation"}));
  return [a] {
    const vae::Kind kind = a->kind == "melody" ? vae::Kind::kMelody : vae::Kind::kDrums;
    auto net = vae::Vae::load(model::find_model(a->model.empty() ? default_model(kind) : a->model));
    if (net.config().kind != kind)
      throw Error(ErrorCode::kInvalidArgument, "the model is for " + std::string(vae::kind_name(net.config().kind)) + " clips");
    size_t files = 0;
    const auto clips = kind == vae::Kind::kMelody ? vae::load_melody_clips(a->data, a->split, &files)
                                                  : vae::load_drum_clips((fs::path(a->data) / "groove-midi").string(),
                                                                         a->split, &files);
    auto r = vae::eval_vae(net, clips);
    r.files = files;
    std::cout << r.to_json() << "\n";
    return 0;
  };
}, 72};

}  // namespace

int generate_clip(const std::string& kind, int bars, const std::string& model, const std::string& out, int variations,
                  double temperature, uint64_t seed, const std::string& bpm) {
  if (kind != "melody" && kind != "drums")
    throw Error(ErrorCode::kInvalidArgument, "--clip must be melody or drums, not '" + kind + "'");
  check_out_path(out);
  const vae::Kind k = kind == "melody" ? vae::Kind::kMelody : vae::Kind::kDrums;
  auto net = vae::Vae::load(model::find_model(model.empty() ? default_model(k) : model));
  if (net.config().kind != k)
    throw Error(ErrorCode::kInvalidArgument, "the model is for " + std::string(vae::kind_name(net.config().kind)) + " clips");
  vae::GenerateClipOptions o;
  o.bars = bars;
  o.variations = variations;
  o.temperature = temperature;
  o.seed = seed;
  if (!bpm.empty()) {
    try {
      o.bpm = std::stod(bpm);
    } catch (const std::exception&) {
      throw Error(ErrorCode::kInvalidArgument, "--bpm must be a number, not '" + bpm + "'");
    }
  }
  auto outs = vae::generate_clips(net, o);
  for (size_t i = 0; i < outs.size(); ++i) {
    const std::string path = outs.size() == 1 ? out : numbered(out, i + 1);
    score::save(outs[i], path);
    std::cout << "wrote " << path << "\n";
  }
  std::fprintf(stderr, "%s clips, seed %llu, temperature %.2f\n", kind.c_str(), (unsigned long long)seed, temperature);
  return 0;
}

}  // namespace continuo::cli
