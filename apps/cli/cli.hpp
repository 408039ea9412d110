// The `continuo` command line: one verb per file (apps/cli/cmd_<verb>.cpp), each registering itself.
//
//   // apps/cli/cmd_info.cpp
//   static continuo::cli::Verb verb{"info", "Summarize a MIDI file", [](CLI::App& app) {
//     auto opts = std::make_shared<InfoOptions>();
//     app.add_option("file", opts->path)->required();
//     return [opts] { return run_info(*opts); };   // returns the exit status
//   }};
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace continuo::cli {

using Runner = std::function<int()>;
using Setup = std::function<Runner(CLI::App&)>;

struct Verb {
  Verb(std::string name, std::string help, Setup setup, int order = 100);
};

struct VerbEntry {
  std::string name, help;
  Setup setup;
  int order;
};
std::vector<VerbEntry>& verbs();

// True when stderr is a terminal (progress bars are drawn only then).
bool stderr_is_tty();

// A progress bar on stderr, drawn only on a terminal; update() is cheap to call often.
class ProgressBar {
 public:
  explicit ProgressBar(std::string label);
  ~ProgressBar();
  void update(double fraction, const std::string& detail = "");
  void finish();

 private:
  std::string label_;
  bool enabled_;
  int last_permille_ = -1;
  bool finished_ = false;
};

}  // namespace continuo::cli
