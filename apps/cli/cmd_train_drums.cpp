// `continuo train-drums groove|drumify`: train the Groove or Drumify network on groove-midi.
// Needs libtorch (CONTINUO_TORCH=ON).
#ifdef CONTINUO_HAVE_TORCH
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "cli/cli.hpp"
#include "continuo/drums_train.hpp"
#include "continuo/error.hpp"

namespace continuo::cli {
namespace {

struct TrainDrumsArgs {
  std::string task;
  drums::DrumTrainOptions o;
};

Verb train_drums_verb{"train-drums", "Train the Groove or Drumify network on the Groove MIDI Dataset", [](CLI::App& app) {
  auto a = std::make_shared<TrainDrumsArgs>();
  app.add_option("task", a->task, "groove or drumify")->required()->check(CLI::IsMember({"groove", "drumify"}));
  app.add_option("--data", a->o.data_dir, "groove-midi folder (with info.csv)")->required();
  app.add_option("--out", a->o.out_dir, "output folder (resumes from its checkpoint)")->required();
  app.add_option("--steps", a->o.steps, "optimizer steps")->check(CLI::Range(int64_t(1), int64_t(10000000)));
  app.add_option("--max-minutes", a->o.max_minutes, "stop (and keep the best model) after this long");
  app.add_option("--hidden", a->o.hidden, "GRU size per direction")->check(CLI::Range(4, 1024));
  app.add_option("--layers", a->o.layers, "GRU layers")->check(CLI::Range(1, 4));
  app.add_option("--window", a->o.window, "steps per training window")->check(CLI::Range(8, 512));
  app.add_option("--batch", a->o.batch, "windows per step")->check(CLI::Range(1, 4096));
  app.add_option("--lr", a->o.lr, "peak learning rate");
  app.add_option("--seed", a->o.seed, "random seed");
  app.add_option("--threads", a->o.threads, "libtorch threads")->check(CLI::Range(1, 256));
  return [a] {
    a->o.task = a->task == "groove" ? drums::Task::kGroove : drums::Task::kDrumify;
    setenv("OMP_WAIT_POLICY", "passive", 0);
    double best = drums::train_drums(a->o, [&](const drums::DrumTrainLog& l) {
      if (!l.is_eval && l.step % 50 != 0) return;
      std::fprintf(stderr, "step %lld/%lld loss %.4f %.0fs", (long long)l.step, (long long)a->o.steps, l.loss, l.seconds);
      if (l.is_eval)
        std::fprintf(stderr, " | val %.4f (hit %.4f vel %.4f off %.4f)", l.val_loss, l.val_hit, l.val_velocity,
                     l.val_offset);
      std::fprintf(stderr, "\n");
    });
    std::printf("best validation loss %.4f; model in %s\n", best, a->o.out_dir.c_str());
    return 0;
  };
}, 62};

}  // namespace
}  // namespace continuo::cli
#endif  // CONTINUO_HAVE_TORCH
