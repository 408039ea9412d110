// `continuo`: the command line. Each verb lives in apps/cli/cmd_<verb>.cpp.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "cli/cli.hpp"
#include "continuo/error.hpp"

namespace continuo::cli {

std::vector<VerbEntry>& verbs() {
  static std::vector<VerbEntry> v;
  return v;
}

Verb::Verb(std::string name, std::string help, Setup setup, int order) {
  verbs().push_back({std::move(name), std::move(help), std::move(setup), order});
}

bool stderr_is_tty() { return isatty(STDERR_FILENO) == 1; }

ProgressBar::ProgressBar(std::string label) : label_(std::move(label)), enabled_(stderr_is_tty()) {}
ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::update(double fraction, const std::string& detail) {
  if (!enabled_ || finished_) return;
  int permille = static_cast<int>(std::clamp(fraction, 0.0, 1.0) * 1000);
  if (permille == last_permille_ && detail.empty()) return;
  last_permille_ = permille;
  const int width = 30;
  int filled = permille * width / 1000;
  std::string bar(filled, '#');
  bar.resize(width, '.');
  std::fprintf(stderr, "\r%s [%s] %5.1f%% %s\033[K", label_.c_str(), bar.c_str(), permille / 10.0,
               detail.c_str());
  std::fflush(stderr);
}

void ProgressBar::finish() {
  if (!enabled_ || finished_) return;
  finished_ = true;
  if (last_permille_ >= 0) std::fprintf(stderr, "\n");
}

}  // namespace continuo::cli

int main(int argc, char** argv) {
  using namespace continuo;
  CLI::App app{"continuo: continue music with AI, natively on the CPU"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("continuo 0.1.0"));
  auto& all = cli::verbs();
  std::stable_sort(all.begin(), all.end(),
                   [](const auto& a, const auto& b) { return a.order < b.order; });
  std::vector<std::pair<CLI::App*, cli::Runner>> runners;
  for (auto& v : all) {
    CLI::App* sub = app.add_subcommand(v.name, v.help);
    runners.emplace_back(sub, v.setup(*sub));
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    for (auto& [sub, run] : runners)
      if (sub->parsed()) return run();
  } catch (const Error& e) {
    std::cerr << "continuo: error: " << e.what() << "\n";
    return e.exit_code();
  } catch (const std::bad_alloc&) {
    std::cerr << "continuo: error: out of memory\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "continuo: internal error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
