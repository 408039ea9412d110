// `continuo score`, `continuo eval`, `continuo models`.
// Needs libtorch (CONTINUO_TORCH=ON).
#ifdef CONTINUO_HAVE_TORCH
#include <cmath>
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/cli.hpp"
#include "continuo/error.hpp"
#include "continuo/eval.hpp"
#include "continuo/score.hpp"

namespace continuo::cli {
namespace {

struct ScoreArgs {
  std::string file, model = "default";
  bool json = false;
};

Verb score_verb{"score", "How likely the model finds a MIDI file (bits per note and per event)", [](CLI::App& app) {
  auto a = std::make_shared<ScoreArgs>();
  app.add_option("file", a->file, "MIDI file")->required();
  app.add_option("-m,--model", a->model, "model name or folder");
  app.add_flag("--json", a->json, "print JSON");
  return [a] {
    auto files = model::find_model(a->model);
    auto cfg = model::load_config(files.config_path);
    score::Score s = score::load(a->file);
    auto ev = tokenizer::Tokenizer({cfg.controls}).encode(s);
    auto r = eval::model_nll_events(files, ev);
    if (a->json) {
      nlohmann::json j = {{"file", a->file}, {"model", files.name}, {"events", r.events}, {"notes", r.notes},
                          {"nats", r.nats}, {"bits_per_event", r.bits_per_event()}, {"bits_per_note", r.bits_per_note()}};
      std::cout << j.dump(2) << "\n";
    } else {
      std::printf("%s under model '%s': %.3f bits per note, %.3f bits per event (%lld events, %lld notes)\n",
                  a->file.c_str(), files.name.c_str(), r.bits_per_note(), r.bits_per_event(), (long long)r.events,
                  (long long)r.notes);
    }
    return 0;
  };
}, 20};

struct EvalArgs {
  std::string model = "default", data;
  size_t max_docs = 0;
  bool continuations = false, json = false;
  int pieces = 24, prompt_events = 256, events = 256;
  uint64_t seed = 1;
  float key_strength = 0.0f;
};

Verb eval_verb{"eval", "Validation bits per note of a model beside an n-gram baseline; continuation statistics", [](CLI::App& app) {
  auto a = std::make_shared<EvalArgs>();
  app.add_option("-m,--model", a->model, "model name or folder");
  app.add_option("--data", a->data, "token shards (from `continuo dataset build`)")->required();
  app.add_option("--max-docs", a->max_docs, "evaluate only the first N validation pieces (0 = all)");
  app.add_flag("--continuations", a->continuations, "also measure continuations against their prompts");
  app.add_option("--pieces", a->pieces, "pieces for --continuations")->check(CLI::Range(1, 10000));
  app.add_option("--prompt-events", a->prompt_events, "prompt length for --continuations")->check(CLI::Range(16, 4096));
  app.add_option("--events", a->events, "continuation length for --continuations")->check(CLI::Range(16, 4096));
  app.add_option("--seed", a->seed, "seed for --continuations");
  app.add_option("--key-strength", a->key_strength, "keep-the-key strength for --continuations (0 = the model alone)")
      ->check(CLI::Range(0.0, 10.0));
  app.add_flag("--json", a->json, "print JSON");
  return [a] {
    auto files = model::find_model(a->model);
    auto valid = train::load_split(a->data, "valid");
    auto train_split = train::load_split(a->data, "train");
    std::fprintf(stderr, "fitting the n-gram baseline on %zu training pieces...\n", train_split.size());
    auto ngram = eval::NgramModel::fit(train_split);
    auto base = ngram.nll(valid, a->max_docs);
    std::fprintf(stderr, "scoring %zu validation pieces with model '%s'...\n",
                 a->max_docs ? std::min(a->max_docs, valid.size()) : valid.size(), files.name.c_str());
    auto ours = eval::model_nll(files, valid, a->max_docs);
    double gain = 1.0 - ours.bits_per_note() / base.bits_per_note();
    nlohmann::json j = {{"model", files.name}, {"data", a->data}, {"pieces", a->max_docs ? std::min(a->max_docs, valid.size()) : valid.size()},
                        {"events", ours.events}, {"notes", ours.notes},
                        {"model_bits_per_note", ours.bits_per_note()}, {"model_bits_per_event", ours.bits_per_event()},
                        {"ngram_bits_per_note", base.bits_per_note()}, {"ngram_bits_per_event", base.bits_per_event()},
                        {"improvement", gain},
                        {"model_pitch_bits_per_note", ours.pitch_bits_per_note()},
                        {"ngram_pitch_bits_per_note", base.pitch_bits_per_note()},
                        {"model_off_key_probability", ours.mean_off_key_mass()},
                        {"real_off_key_share", ours.off_key_share()}};
    if (!a->json) {
      std::printf("validation: %s (%lld events, %lld notes)\n", a->data.c_str(), (long long)ours.events, (long long)ours.notes);
      std::printf("  %-22s %10s %12s %12s\n", "", "bits/note", "bits/event", "pitch bits");
      std::printf("  %-22s %10.3f %12.3f %12.3f\n", ("model " + files.name).c_str(), ours.bits_per_note(), ours.bits_per_event(),
                  ours.pitch_bits_per_note());
      std::printf("  %-22s %10.3f %12.3f %12.3f\n", "n-gram baseline", base.bits_per_note(), base.bits_per_event(),
                  base.pitch_bits_per_note());
      std::printf("  model uses %.1f%% fewer bits per note than the baseline\n", 100 * gain);
      std::printf("  key: the model puts %.1f%% of its pitch probability outside each piece's 7 most used pitch\n"
                  "  classes (notes on pitched tracks); %.1f%% of the real notes are outside them\n",
                  100 * ours.mean_off_key_mass(), 100 * ours.off_key_share());
    }
    if (a->continuations) {
      auto m = engine::Model::load(files);
      eval::ContinuationOptions co;
      co.pieces = a->pieces;
      co.prompt_events = a->prompt_events;
      co.events = a->events;
      co.seed = a->seed;
      co.key_strength = a->key_strength;
      auto rows = eval::continuations(m, valid, co, [](const std::string& s) { std::fprintf(stderr, "%s\n", s.c_str()); });
      if (!a->json) {
        std::printf("\ncontinuation vs its prompt (%d pieces, %d-event prompts, %d new events; lower is closer except IoU/Jaccard):\n",
                    rows.empty() ? 0 : rows[0].stats.pieces, a->prompt_events, a->events);
        std::printf("  %-18s %10s %10s %10s %10s %10s %10s\n", "", "pc L1", "off key", "|log dens|", "vel diff", "vel IoU", "instr J");
      }
      for (const auto& r : rows) {
        const auto& s = r.stats;
        if (!a->json)
          std::printf("  %-18s %10.3f %10.3f %10.3f %10.2f %10.3f %10.3f\n", r.label.c_str(), s.pitch_class_l1, s.off_key, s.density_ratio,
                      s.velocity_mean_diff, s.velocity_range_iou, s.instrument_jaccard);
        j["continuations"].push_back({{"label", r.label}, {"pieces", s.pieces}, {"pitch_class_l1", s.pitch_class_l1}, {"off_key", s.off_key},
                                      {"log_density_ratio", s.density_ratio}, {"velocity_mean_diff", s.velocity_mean_diff},
                                      {"velocity_range_iou", s.velocity_range_iou}, {"instrument_jaccard", s.instrument_jaccard}});
      }
    }
    if (a->json) std::cout << j.dump(2) << "\n";
    return 0;
  };
}, 21};



}  // namespace
}  // namespace continuo::cli
#endif  // CONTINUO_HAVE_TORCH
