// bench/bench_corpus.hpp: real MIDI files loaded into memory once, for the parse benchmarks.
//
//   const auto& set = continuo::bench::corpus("tegridy-selected");   // empty if not unpacked
//   for (const auto& f : set.files) parse(f.bytes, f.name);
//
// Files come from the unpacked corpora: $CONTINUO_DATA, else ~/.cache/continuo/data (run
// ../shared/data/unpack once). The multi-track sets used for MB/s are tegridy-selected (band
// arrangements with drums) and pop909 (melody, bridge, piano).
#pragma once

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "continuo/midi.hpp"

namespace continuo::bench {

struct CorpusFile {
  std::string name;
  std::vector<uint8_t> bytes;
};

struct Corpus {
  std::vector<CorpusFile> files;
  size_t bytes = 0;
};

inline std::filesystem::path corpora_root() {
  if (const char* env = std::getenv("CONTINUO_DATA")) return env;
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home ? home : "/root") / ".cache" / "continuo" / "data";
}

// All .mid/.midi/.kar files under each of `folders` (names inside the corpora root, sorted).
inline const Corpus& corpus(const std::vector<std::string>& folders) {
  static std::map<std::vector<std::string>, Corpus> cache;
  auto it = cache.find(folders);
  if (it != cache.end()) return it->second;
  Corpus& c = cache[folders];
  std::vector<std::filesystem::path> paths;
  for (const auto& folder : folders) {
    auto dir = corpora_root() / folder;
    if (!std::filesystem::is_directory(dir)) continue;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
      std::string ext = e.path().extension().string();
      std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
      if (e.is_regular_file() && (ext == ".mid" || ext == ".midi" || ext == ".kar")) paths.push_back(e.path());
    }
  }
  std::sort(paths.begin(), paths.end());
  for (const auto& p : paths) {
    c.files.push_back({p.string(), midi::read_file_bytes(p.string())});
    c.bytes += c.files.back().bytes.size();
  }
  return c;
}

// The set the MB/s figures are quoted on (tools/bench_mido.py uses the same folders).
inline const std::vector<std::string> kMultiTrack = {"tegridy-selected", "pop909"};

}  // namespace continuo::bench
