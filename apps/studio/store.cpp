// studio/store.cpp: see store.hpp.
#include "studio/store.hpp"

#include <cstdio>
#include <random>

#include "continuo/tasks.hpp"

namespace continuo::studio {

std::string new_id() {
  static std::mutex mu;
  static std::mt19937_64 rng{std::random_device{}() ^ (uint64_t(std::random_device{}()) << 32)};
  uint64_t v;
  {
    std::lock_guard lock(mu);
    v = rng();
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::shared_ptr<const StoredScore> ScoreStore::add(score::Score s, std::string name, std::vector<uint8_t> midi,
                                                   std::shared_ptr<const SoundLink> sound) {
  auto e = std::make_shared<StoredScore>();
  e->sound = std::move(sound);
  e->id = new_id();
  e->name = std::move(name);
  e->midi = midi.empty() ? score::serialize(s) : std::move(midi);
  const auto ev = tasks::prompt_events(s, 0, true);
  e->body_events = ev.size() - tokenizer::Tokenizer::header_length(ev);
  e->score = std::move(s);
  std::lock_guard lock(mu_);
  lru_.push_front(e);
  by_id_[e->id] = lru_.begin();
  while (lru_.size() > max_) {
    by_id_.erase(lru_.back()->id);
    lru_.pop_back();
  }
  return e;
}

std::shared_ptr<const StoredScore> ScoreStore::get(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  return *it->second;
}

size_t ScoreStore::size() const {
  std::lock_guard lock(mu_);
  return lru_.size();
}

size_t StoredRecording::bytes() const {
  size_t n = clip.samples.size() * sizeof(float);
  for (const auto& note : heard.notes) n += sizeof note + note.bends.size() * sizeof(int);
  for (const auto& t : heard.score.tracks) n += t.notes.size() * sizeof(score::Note);
  return n + heard.score.tempos.size() * 32 + heard.grid.beats.size() * sizeof(double);
}

std::shared_ptr<const StoredRecording> RecordingStore::add(std::shared_ptr<StoredRecording> r) {
  if (r->id.empty()) r->id = new_id();
  std::shared_ptr<const StoredRecording> e = std::move(r);
  std::lock_guard lock(mu_);
  lru_.push_front(e);
  bytes_ += e->bytes();
  while (lru_.size() > 1 && (lru_.size() > max_count_ || bytes_ > max_bytes_)) {
    bytes_ -= lru_.back()->bytes();
    lru_.pop_back();
  }
  return e;
}

std::shared_ptr<const StoredRecording> RecordingStore::get(const std::string& id) {
  std::lock_guard lock(mu_);
  for (auto it = lru_.begin(); it != lru_.end(); ++it)
    if ((*it)->id == id) {
      lru_.splice(lru_.begin(), lru_, it);
      return lru_.front();
    }
  return nullptr;
}

size_t RecordingStore::size() const {
  std::lock_guard lock(mu_);
  return lru_.size();
}

size_t RecordingStore::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

std::shared_ptr<const std::vector<uint8_t>> AudioCache::get(const std::string& id) {
  std::lock_guard lock(mu_);
  for (auto it = lru_.begin(); it != lru_.end(); ++it)
    if (it->first == id) {
      lru_.splice(lru_.begin(), lru_, it);
      return lru_.front().second;
    }
  return nullptr;
}

void AudioCache::put(const std::string& id, std::shared_ptr<const std::vector<uint8_t>> wav) {
  std::lock_guard lock(mu_);
  if (wav->size() > max_) return;
  bytes_ += wav->size();
  lru_.emplace_front(id, std::move(wav));
  while (bytes_ > max_ && !lru_.empty()) {
    bytes_ -= lru_.back().second->size();
    lru_.pop_back();
  }
}

size_t AudioCache::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

}  // namespace continuo::studio
