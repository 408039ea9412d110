// `continuo train-vae melody|drums`: train a clip VAE (interpolate, generate --clip).
// Needs libtorch (CONTINUO_TORCH=ON).
#ifdef CONTINUO_HAVE_TORCH
#include <cstdio>
#include <cstdlib>

#include "cli/cli.hpp"
#include "continuo/error.hpp"
#include "continuo/vae_train.hpp"

namespace continuo::cli {
namespace {

struct TrainVaeArgs {
  std::string kind;
  vae::VaeTrainOptions o;
};

Verb train_vae_verb{"train-vae", "Train the melody or drum clip VAE (interpolate, generate --clip)", [](CLI::App& app) {
  auto a = std::make_shared<TrainVaeArgs>();
  app.add_option("kind", a->kind, "melody or drums")->required()->check(CLI::IsMember({"melody", "drums"}));
  app.add_option("--data", a->o.data_dir, "melody: the corpora folder (../shared/data/unpack prints it); drums: groove-midi")
      ->required();
  app.add_option("--out", a->o.out_dir, "output folder (resumes from its checkpoint)")->required();
  app.add_option("--steps", a->o.steps, "optimizer steps")->check(CLI::Range(int64_t(1), int64_t(10000000)));
  app.add_option("--max-minutes", a->o.max_minutes, "stop (and keep the best model) after this long");
  app.add_option("--enc-hidden", a->o.enc_hidden, "encoder GRU size per direction")->check(CLI::Range(4, 1024));
  app.add_option("--dec-hidden", a->o.dec_hidden, "decoder GRU size")->check(CLI::Range(4, 1024));
  app.add_option("--latent", a->o.latent, "latent size")->check(CLI::Range(2, 512));
  app.add_option("--batch", a->o.batch, "clips per step")->check(CLI::Range(1, 4096));
  app.add_option("--lr", a->o.lr, "peak learning rate");
  app.add_option("--beta", a->o.beta, "weight of the KL term");
  app.add_option("--free-bits", a->o.free_bits, "KL nats per latent dimension not penalized");
  app.add_option("--seed", a->o.seed, "random seed");
  app.add_option("--threads", a->o.threads, "libtorch threads")->check(CLI::Range(1, 256));
  return [a] {
    a->o.kind = a->kind == "melody" ? vae::Kind::kMelody : vae::Kind::kDrums;
    setenv("OMP_WAIT_POLICY", "passive", 0);
    double best = vae::train_vae(a->o, [&](const vae::VaeTrainLog& l) {
      if (!l.is_eval && l.step % 50 != 0) return;
      std::fprintf(stderr, "step %lld/%lld loss %.3f (recon %.3f kl %.2f) %.0fs", (long long)l.step,
                   (long long)a->o.steps, l.loss, l.recon, l.kl, l.seconds);
      if (l.is_eval) std::fprintf(stderr, " | val recon %.3f kl %.2f acc %.4f", l.val_recon, l.val_kl, l.val_accuracy);
      std::fprintf(stderr, "\n");
    });
    std::printf("best validation accuracy (teacher forced, at the mean) %.4f; model in %s\n", best, a->o.out_dir.c_str());
    return 0;
  };
}, 63};

}  // namespace
}  // namespace continuo::cli
#endif  // CONTINUO_HAVE_TORCH
