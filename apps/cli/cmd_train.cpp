// `continuo dataset build` and `continuo train`.
// Needs libtorch (CONTINUO_TORCH=ON).
#ifdef CONTINUO_HAVE_TORCH
#include <cstdio>
#include <iostream>

#include "cli/cli.hpp"
#include "continuo/error.hpp"
#include "continuo/train.hpp"

namespace continuo::cli {
namespace {

struct DatasetArgs {
  train::DatasetOptions opt;
};

Verb dataset_verb{"dataset", "Build token shards from folders of MIDI files", [](CLI::App& app) {
  auto a = std::make_shared<DatasetArgs>();
  auto* build = app.add_subcommand("build", "MIDI folders -> deduplicated token shards split by piece");
  build->add_option("inputs", a->opt.inputs, "folders (searched recursively) or MIDI files")->required();
  build->add_option("-o,--out", a->opt.out_dir, "output folder")->required();
  build->add_option("--valid-permille", a->opt.valid_permille,
                    "pieces held out for validation, per mille (1000: all of them, an evaluation set for eval --held-out)")
      ->check(CLI::Range(0, 1000));
  build->add_option("--threads", a->opt.threads, "worker threads (0 = all cores)")->check(CLI::Range(0, 256));
  build->add_option("--min-notes", a->opt.min_notes, "skip pieces with fewer notes")->check(CLI::Range(0, 1000000));
  build->add_option("--max-events", a->opt.max_events, "skip pieces with more events")->check(CLI::Range(16, 10000000));
  build->add_flag("!--no-controls", a->opt.controls, "leave control changes out");
  app.require_subcommand(1);
  return [a] {
    ProgressBar bar("dataset");
    auto st = train::build_dataset(a->opt, [&](double f, const std::string& d) {
      bar.update(f, d);
      return true;
    });
    bar.finish();
    std::cout << st.to_json() << "\n";
    std::cerr << "dataset: " << st.docs[0] << " train and " << st.docs[1] << " validation pieces (" << st.failed
              << " unreadable, " << st.filtered << " filtered, " << st.duplicates << " duplicates) in "
              << a->opt.out_dir << "\n";
    return 0;
  };
}, 60};

struct TrainArgs {
  std::string config;
  std::string data, out;
  int64_t steps = 0;
  double max_minutes = -1;
};

Verb train_verb{"train", "Train a model on token shards (resumes from a checkpoint)", [](CLI::App& app) {
  auto a = std::make_shared<TrainArgs>();
  app.add_option("config", a->config, "training config (JSON), e.g. configs/default.json")->required();
  app.add_option("--data", a->data, "override data_dir");
  app.add_option("--out", a->out, "override out_dir");
  app.add_option("--steps", a->steps, "override the number of steps")->check(CLI::Range(int64_t(1), int64_t(1) << 40));
  app.add_option("--max-minutes", a->max_minutes, "stop with a checkpoint after this long");
  return [a] {
    auto c = train::load_train_config(a->config);
    if (!a->data.empty()) c.data_dir = a->data;
    if (!a->out.empty()) c.out_dir = a->out;
    if (a->steps > 0) c.steps = a->steps;
    if (a->max_minutes >= 0) c.max_minutes = a->max_minutes;
    double val = train::train(c, [&](const train::StepLog& s) {
      if (!s.note.empty()) {
        std::fprintf(stderr, "%s\n", s.note.c_str());
        return;
      }
      if (s.step < 0) {
        std::fprintf(stderr, "resumed from checkpoint at step %lld\n", (long long)-s.step);
        return;
      }
      std::fprintf(stderr, "step %lld/%lld loss %.4f [kind %.3f dt %.3f trk %.3f val %.3f v2 %.3f dur %.3f] lr %.2e gn %.2f %.0f ev/s",
                   (long long)s.step, (long long)c.steps, s.loss, s.fields[0], s.fields[1], s.fields[2], s.fields[3],
                   s.fields[4], s.fields[5], s.lr, s.grad_norm, s.events_per_s);
      if (s.is_eval)
        std::fprintf(stderr, " | val %.4f nats/event, %.3f bits/event, %.3f bits/note", s.val_loss,
                     s.val_bits_per_event, s.val_bits_per_note);
      if (s.is_eval && s.val_future_bits_per_note >= 0)
        std::fprintf(stderr, " (%.3f with known futures)", s.val_future_bits_per_note);
      std::fprintf(stderr, "\n");
    });
    std::printf("final validation loss %.4f nats/event; model in %s\n", val, c.out_dir.c_str());
    return 0;
  };
}, 61};

}  // namespace
}  // namespace continuo::cli
#endif  // CONTINUO_HAVE_TORCH
