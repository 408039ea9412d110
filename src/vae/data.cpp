// vae/data.cpp: the clip corpora (folk-abc-music21, nottingham, pop909 melodies; the Groove MIDI
// Dataset's drums) with their held-out splits.
#include <algorithm>
#include <filesystem>

#include "continuo/drums.hpp"
#include "continuo/error.hpp"
#include "continuo/vae.hpp"

namespace continuo::vae {
namespace fs = std::filesystem;

std::string melody_split(const std::string& file_name) {
  uint64_t h = 1469598103934665603ull;   // FNV-1a of the file name (not the folder: stable anywhere)
  for (unsigned char ch : file_name) h = (h ^ ch) * 1099511628211ull;
  const uint64_t r = h % 10;
  return r == 0 ? "test" : r == 1 ? "validation" : "train";
}

std::vector<Clip> load_melody_clips(const std::string& data_dir, const std::string& split, size_t* files) {
  std::vector<std::string> paths;
  const fs::path root(data_dir);
  for (const char* sub : {"folk-abc-music21/midi", "nottingham/MIDI", "pop909/POP909"}) {
    const fs::path d = root / sub;
    if (!fs::is_directory(d)) throw Error(ErrorCode::kNotFound, d.string() + ": not found (is " + data_dir +
                                                                    " the unpacked corpora folder?)");
    for (const auto& e : fs::recursive_directory_iterator(d)) {
      if (!e.is_regular_file() || e.path().extension() != ".mid") continue;
      if (e.path().string().find("/versions/") != std::string::npos) continue;   // POP909's other versions
      // the split of a file by its path inside the corpus folder (the same on every machine)
      const std::string rel = fs::relative(e.path(), root).string();
      if (melody_split(rel) == split) paths.push_back(e.path().string());
    }
  }
  std::sort(paths.begin(), paths.end());
  std::vector<Clip> out;
  size_t used = 0;
  for (const auto& p : paths) {
    try {
      auto c = training_clips(score::load(p), Kind::kMelody);
      used += !c.empty();
      for (auto& k : c) out.push_back(std::move(k));
    } catch (const Error&) {
      // unreadable file or a bar too long for a clip: skipped
    }
  }
  if (files) *files = used;
  return out;
}

std::vector<Clip> load_drum_clips(const std::string& gmd_dir, const std::string& split, size_t* files) {
  std::vector<Clip> out;
  size_t used = 0;
  for (const auto& it : drums::read_gmd_index(gmd_dir)) {
    if (it.split != split) continue;
    try {
      auto c = training_clips(score::load(it.path), Kind::kDrums);
      used += !c.empty();
      for (auto& k : c) out.push_back(std::move(k));
    } catch (const Error&) {
    }
  }
  if (files) *files = used;
  return out;
}

}  // namespace continuo::vae
