// `continuo models`: the installed models.
#include <cstdio>

#include "cli/cli.hpp"
#include "continuo/drums.hpp"
#include "continuo/error.hpp"
#include "continuo/model.hpp"
#include "continuo/vae.hpp"

namespace continuo::cli {
namespace {

Verb models_verb{"models", "List the installed models", [](CLI::App& app) {
  return [] {
    for (const auto& m : model::list_models()) {
      try {   // the drum tools' networks (continuo/drums.hpp) have a config of their own
        auto d = drums::load_net_config(m.config_path);
        std::printf("%-10s %s GRU %dx%d  %s\n   %s\n", m.name.c_str(),
                    d.task == drums::Task::kGroove ? "groove" : "drumify", d.layers, d.hidden, d.description.c_str(),
                    m.dir.c_str());
        continue;
      } catch (const Error&) {
      }
      if (vae::is_vae_config(m.config_path)) {   // the clip VAEs (continuo/vae.hpp)
        auto v = vae::load_vae_config(m.config_path);
        std::printf("%-10s %s VAE latent=%d  %s\n   %s\n", m.name.c_str(), vae::kind_name(v.kind), v.latent,
                    v.description.c_str(), m.dir.c_str());
        continue;
      }
      auto c = model::load_config(m.config_path);
      std::printf("%-10s d=%d layers=%d  %s\n   %s\n", m.name.c_str(), c.d_model, c.n_layers, c.description.c_str(), m.dir.c_str());
    }
    return 0;
  };
}, 22};

}  // namespace
}  // namespace continuo::cli
