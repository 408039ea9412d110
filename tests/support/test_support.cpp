#include "test_support.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <random>

namespace continuo::testing {
namespace fs = std::filesystem;

TempDir::TempDir() {
  std::random_device rd;
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto p = fs::temp_directory_path() / ("continuo-test-" + std::to_string(rd()));
    if (fs::create_directory(p)) {
      path_ = p;
      return;
    }
  }
  throw std::runtime_error("cannot create a temporary folder");
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

fs::path test_data_dir() { return CONTINUO_TEST_DATA; }

fs::path corpora_dir() {
  static fs::path cached = [] {
    const char* env = std::getenv("CONTINUO_DATA");
    std::string unpack = std::string(CONTINUO_SHARED_DATA) + "/unpack";
    if (!fs::exists(unpack)) return env ? fs::path(env) : fs::path();
    std::string out;
    if (run_command("'" + unpack + "' 2>/dev/null", &out) != 0) return fs::path();
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    auto nl = out.rfind('\n');
    return fs::path(nl == std::string::npos ? out : out.substr(nl + 1));
  }();
  return cached;
}

std::vector<fs::path> midi_files_under(const fs::path& dir) {
  std::vector<fs::path> out;
  if (dir.empty() || !fs::exists(dir)) return out;
  for (auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    auto ext = e.path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
    if (ext == ".mid" || ext == ".midi" || ext == ".kar" || ext == ".rmi") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

int run_command(const std::string& command, std::string* output) {
  std::string cmd = command + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return -1;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0)
    if (output) output->append(buf.data(), n);
  int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string continuo_binary() { return CONTINUO_BINARY; }

}  // namespace continuo::testing
