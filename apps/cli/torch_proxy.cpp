// The verbs that need libtorch (dataset, train, train-drums, score, eval) live in a second program,
// `continuo-torch`, next to `continuo`. Linking libtorch costs every run of `continuo` about
// 0.3-2 s of start-up (its shared libraries are hundreds of MB), which `continuo info`,
// `continuo continue` and the studio should not pay. `continuo train ...` hands its arguments to
// `continuo-torch train ...` unchanged; users see one command.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

#include "cli/cli.hpp"
#include "continuo/error.hpp"

namespace continuo::cli {
namespace {
namespace fs = std::filesystem;

fs::path torch_program() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw Error(ErrorCode::kNotFound, "cannot locate the continuo program itself: " + ec.message());
  return self.parent_path() / "continuo-torch";
}

Setup forward(const std::string& verb) {
  return [verb](CLI::App& app) -> Runner {
    app.allow_extras();
    app.prefix_command();       // everything after the verb goes to continuo-torch untouched
    app.set_help_flag();        // so does --help
    return [&app, verb]() -> int {
      const fs::path prog = torch_program();
      std::error_code ec;
      if (!fs::exists(prog, ec))
        throw Error(ErrorCode::kUnsupported, "'" + verb + "' needs the training build (continuo-torch, built with "
                                             "libtorch), which is not installed next to " + prog.parent_path().string());
      std::vector<std::string> args = {"continuo", verb};   // argv[0]: how usage lines name the program
      for (const auto& a : app.remaining()) args.push_back(a);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(prog.c_str(), argv.data());
      throw Error(ErrorCode::kIo, "cannot run " + prog.string() + ": " + std::strerror(errno));
    };
  };
}

#ifdef CONTINUO_TORCH_PROXY
Verb dataset_proxy{"dataset", "Build token shards from folders of MIDI files", forward("dataset"), 60};
Verb train_proxy{"train", "Train a model on token shards (resumes from a checkpoint)", forward("train"), 61};
Verb train_drums_proxy{"train-drums", "Train the Groove or Drumify network on the Groove MIDI Dataset",
                       forward("train-drums"), 62};
Verb train_vae_proxy{"train-vae", "Train the melody or drum clip VAE (interpolate, generate --clip)", forward("train-vae"),
                     63};
Verb score_proxy{"score", "How likely the model finds a MIDI file (bits per note and per event)", forward("score"), 20};
Verb eval_proxy{"eval", "Validation bits per note of a model beside an n-gram baseline; continuation statistics",
                forward("eval"), 21};
#endif

}  // namespace
}  // namespace continuo::cli
