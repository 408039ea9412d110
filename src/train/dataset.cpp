// `continuo dataset build`: folders of MIDI -> deduplicated, filtered token shards split by piece.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <regex>
#include <thread>
#include <unordered_set>
#include <cstring>

#include <nlohmann/json.hpp>

#include "continuo/error.hpp"
#include "continuo/score.hpp"
#include "continuo/train.hpp"

namespace continuo::train {
namespace fs = std::filesystem;
using tokenizer::Event;
using tokenizer::Field;
using tokenizer::Kind;

namespace {

uint64_t fnv1a(const void* data, size_t n, uint64_t h = 1469598103934665603ull) {
  auto* p = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

bool is_midi(const fs::path& p) {
  auto ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  return ext == ".mid" || ext == ".midi" || ext == ".kar" || ext == ".rmi";
}

struct Doc {
  std::vector<Event> events;
  std::vector<tokenizer::Position> pos;
  size_t notes = 0;
  uint64_t hash = 0;
  std::string error, filter;
};

Doc process(const fs::path& path, const DatasetOptions& opt) {
  Doc d;
  score::Score s;
  try {
    s = score::load(path.string());
  } catch (const Error& e) {
    std::string what = e.what();
    // reason = text after the file name, without byte positions
    auto colon = what.rfind(": ");
    std::string reason = colon == std::string::npos ? what : what.substr(colon + 2);
    reason = std::regex_replace(reason, std::regex(" \\(at byte [0-9]+\\)"), "");
    d.error = reason.empty() ? "unreadable" : reason;
    return d;
  } catch (const std::exception& e) {
    d.error = std::string("unexpected: ") + e.what();
    return d;
  }
  tokenizer::Tokenizer tok({opt.controls});
  d.events = tok.encode(s);
  for (const auto& e : d.events) d.notes += e.kind() == Kind::kNote;
  std::vector<int> pitches(128, 0);
  for (const auto& e : d.events)
    if (e.kind() == Kind::kNote) pitches[e[Field::kValue]] = 1;
  int distinct = 0;
  for (int p : pitches) distinct += p;
  if (d.notes < size_t(opt.min_notes)) d.filter = "fewer than " + std::to_string(opt.min_notes) + " notes";
  else if (d.events.size() > size_t(opt.max_events)) d.filter = "more than " + std::to_string(opt.max_events) + " events";
  else if (distinct < 2) d.filter = "a single pitch";
  if (!d.filter.empty()) {
    d.events.clear();
    return d;
  }
  // duplicate key: the events after the header (ignoring tempo, so re-timed copies collapse too)
  uint64_t h = 1469598103934665603ull;
  for (const auto& e : d.events)
    if (e.kind() != Kind::kTempo) h = fnv1a(e.f.data(), sizeof(e.f), h);
  d.hash = h;
  d.pos = tokenizer::Tokenizer::positions(d.events);
  return d;
}

}  // namespace

std::string piece_key(const std::string& path_str) {
  fs::path p(path_str);
  fs::path dir = p.parent_path();
  if (dir.filename() == "versions") dir = dir.parent_path();
  // A small folder is one work (pop909 song folders, asap work folders): key by folder.
  size_t n = 0;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    if (it->is_directory()) {
      if (it->path().filename() == "versions") n += 0;
      else n += 100;   // a folder of folders is a collection, not a work
    } else if (is_midi(it->path())) {
      ++n;
    }
  }
  if (n > 0 && n <= 12) return dir.string();
  // Otherwise the file stem without version markers ("song-v2", "song_2", "song (1)").
  std::string stem = p.stem().string();
  stem = std::regex_replace(stem, std::regex("([-_ ]v?[0-9]{1,2}|\\s*\\([0-9]+\\))$", std::regex::icase), "");
  std::transform(stem.begin(), stem.end(), stem.begin(), ::tolower);
  return dir.string() + "/" + stem;
}

std::string DatasetStats::to_json() const {
  nlohmann::json j;
  j["tokenizer"] = tokenizer::kVersion;
  j["files"] = files;
  j["parsed"] = parsed;
  j["failed"] = failed;
  j["filtered"] = filtered;
  j["duplicates"] = duplicates;
  j["failures"] = failures;
  j["filters"] = filters;
  j["train"] = {{"docs", docs[0]}, {"events", events[0]}, {"notes", notes[0]}};
  j["valid"] = {{"docs", docs[1]}, {"events", events[1]}, {"notes", notes[1]}};
  j["seconds"] = seconds;
  return j.dump(2);
}

DatasetStats build_dataset(const DatasetOptions& opt, const ProgressFn& progress) {
  auto t0 = std::chrono::steady_clock::now();
  if (opt.out_dir.empty()) throw Error(ErrorCode::kInvalidArgument, "dataset: an output folder is required (-o)");
  std::vector<fs::path> files;
  for (const auto& in : opt.inputs) {
    fs::path p(in);
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) {
      files.push_back(p);
    } else if (fs::is_directory(p, ec)) {
      for (auto it = fs::recursive_directory_iterator(p, fs::directory_options::skip_permission_denied, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
        if (it->is_regular_file() && is_midi(it->path())) files.push_back(it->path());
    } else {
      throw Error(ErrorCode::kNotFound, in + ": no such file or folder");
    }
  }
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  if (files.empty()) throw Error(ErrorCode::kNotFound, "dataset: no MIDI files found in the given folders");

  std::vector<Doc> docs(files.size());
  std::atomic<size_t> next{0}, done{0};
  std::atomic<bool> cancel{false};
  int threads = opt.threads > 0 ? opt.threads : std::max(1u, std::thread::hardware_concurrency());
  std::mutex mu;
  auto worker = [&] {
    for (;;) {
      size_t i = next++;
      if (i >= files.size() || cancel) return;
      docs[i] = process(files[i], opt);
      size_t k = ++done;
      if (progress && (k % 64 == 0 || k == files.size())) {
        std::lock_guard<std::mutex> lock(mu);
        if (!progress(double(k) / files.size(), std::to_string(k) + "/" + std::to_string(files.size()) + " files"))
          cancel = true;
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  if (cancel) throw Error(ErrorCode::kCancelled, "dataset build cancelled");

  DatasetStats st;
  st.files = files.size();
  std::unordered_set<uint64_t> seen;
  std::vector<uint16_t> rows[2];
  std::vector<int64_t> offsets[2] = {{0}, {0}};
  std::vector<std::string> names[2];
  for (size_t i = 0; i < files.size(); ++i) {
    Doc& d = docs[i];
    if (!d.error.empty()) {
      ++st.failed;
      ++st.failures[d.error];
      continue;
    }
    ++st.parsed;
    if (!d.filter.empty()) {
      ++st.filtered;
      ++st.filters[d.filter];
      continue;
    }
    if (!seen.insert(d.hash).second) {
      ++st.duplicates;
      continue;
    }
    std::string key = piece_key(files[i].string());
    int split = (fnv1a(key.data(), key.size()) % 1000) < uint64_t(opt.valid_permille) ? 1 : 0;
    for (size_t k = 0; k < d.events.size(); ++k) {
      rows[split].insert(rows[split].end(), d.events[k].f.begin(), d.events[k].f.end());
      rows[split].push_back(d.pos[k].beat_pos);
      rows[split].push_back(d.pos[k].bar_pos);
    }
    offsets[split].push_back(offsets[split].back() + int64_t(d.events.size()));
    names[split].push_back(files[i].string());
    ++st.docs[split];
    st.events[split] += d.events.size();
    st.notes[split] += d.notes;
    std::vector<Event>().swap(d.events);
    std::vector<tokenizer::Position>().swap(d.pos);
  }
  fs::create_directories(opt.out_dir);
  const char* split_names[2] = {"train", "valid"};
  for (int s = 0; s < 2; ++s) {
    std::string base = (fs::path(opt.out_dir) / split_names[s]).string();
    write_npy_u16(base + ".events.npy", rows[s], {int64_t(rows[s].size() / kShardColumns), kShardColumns});
    write_npy_i64(base + ".docs.npy", offsets[s]);
    std::string list;
    for (auto& n : names[s]) list += n + "\n";
    write_file_atomic(base + ".files.txt", list);
  }
  st.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  write_file_atomic((fs::path(opt.out_dir) / "stats.json").string(), st.to_json());
  return st;
}

std::vector<Event> Split::events(size_t doc) const {
  std::vector<Event> out;
  for (int64_t i = docs[doc]; i < docs[doc + 1]; ++i) {
    Event e;
    std::copy(rows[i].begin(), rows[i].begin() + tokenizer::kNumFields, e.f.begin());
    out.push_back(e);
  }
  return out;
}

std::vector<tokenizer::Position> Split::positions(size_t doc) const {
  std::vector<tokenizer::Position> out;
  for (int64_t i = docs[doc]; i < docs[doc + 1]; ++i) out.push_back({rows[i][6], rows[i][7]});
  return out;
}

Split load_split(const std::string& dir, const std::string& split) {
  Split s;
  std::string base = (fs::path(dir) / split).string();
  std::vector<int64_t> shape;
  auto flat = read_npy_u16(base + ".events.npy", &shape);
  if (shape.size() != 2 || shape[1] != kShardColumns)
    throw Error(ErrorCode::kCorruptData, base + ".events.npy: expected shape [N, 8]");
  s.rows.resize(shape[0]);
  std::memcpy(s.rows.data(), flat.data(), flat.size() * 2);
  s.docs = read_npy_i64(base + ".docs.npy");
  if (s.docs.empty() || s.docs.back() != shape[0])
    throw Error(ErrorCode::kCorruptData, base + ".docs.npy: offsets do not match the events");
  std::ifstream f(base + ".files.txt");
  std::string line;
  while (std::getline(f, line)) s.files.push_back(line);
  return s;
}

}  // namespace continuo::train
