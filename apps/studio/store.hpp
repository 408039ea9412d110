// Scores the studio knows (uploads, examples, results) and their rendered audio, both bounded:
// the least recently used entries go first.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "continuo/score.hpp"

namespace continuo::studio {

struct StoredScore {
  std::string id;
  std::string name;              // file name shown and used for downloads ("example.mid")
  score::Score score;
  std::vector<uint8_t> midi;     // the score as a Standard MIDI File
  size_t body_events = 0;        // events after the header, as the model sees them (for prompts)
};

// A random id of 16 hex digits.
std::string new_id();

class ScoreStore {
 public:
  explicit ScoreStore(size_t max_scores) : max_(max_scores) {}
  // Serializes the score (throws Error if MIDI cannot hold it) and keeps it.
  std::shared_ptr<const StoredScore> add(score::Score s, std::string name, std::vector<uint8_t> midi = {});
  std::shared_ptr<const StoredScore> get(const std::string& id);   // nullptr when unknown or dropped
  size_t size() const;

 private:
  mutable std::mutex mu_;
  size_t max_;
  std::list<std::shared_ptr<const StoredScore>> lru_;   // most recent first
  std::unordered_map<std::string, std::list<std::shared_ptr<const StoredScore>>::iterator> by_id_;
};

class AudioCache {
 public:
  explicit AudioCache(size_t max_bytes) : max_(max_bytes) {}
  std::shared_ptr<const std::vector<uint8_t>> get(const std::string& id);
  void put(const std::string& id, std::shared_ptr<const std::vector<uint8_t>> wav);
  size_t bytes() const;

 private:
  mutable std::mutex mu_;
  size_t max_, bytes_ = 0;
  std::list<std::pair<std::string, std::shared_ptr<const std::vector<uint8_t>>>> lru_;
};

}  // namespace continuo::studio
