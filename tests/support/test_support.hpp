// Helpers shared by the tests: a private temporary folder per test, paths to test data and corpora.
#pragma once

#include <filesystem>

#include "continuo/tokenizer.hpp"
#include <string>
#include <vector>

namespace continuo::testing {

// A fresh folder under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

std::filesystem::path test_data_dir();   // tests/data

// An event with the given kind, dt, track and value (the other fields 0).
inline tokenizer::Event event(tokenizer::Kind kind, int dt, int track, int value) {
  tokenizer::Event e;
  e[tokenizer::Field::kKind] = uint16_t(kind);
  e[tokenizer::Field::kDt] = uint16_t(dt);
  e[tokenizer::Field::kTrack] = uint16_t(track);
  e[tokenizer::Field::kValue] = uint16_t(value);
  return e;
}
// The unpacked corpora (runs ../shared/data/unpack once); empty if unavailable.
std::filesystem::path corpora_dir();
// Every .mid/.midi file under a folder, sorted.
std::vector<std::filesystem::path> midi_files_under(const std::filesystem::path& dir);
// Runs a shell command, returns its exit status; captures stdout+stderr into `output` if given.
int run_command(const std::string& command, std::string* output = nullptr);
std::string continuo_binary();

}  // namespace continuo::testing
