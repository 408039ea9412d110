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
#include "continuo/transcribe.hpp"

namespace continuo::studio {

// A score made from a recording (its transcription, or the transcription with a continuation):
// what "the recording" of GET /api/scores/<id>/audio?of=recording is.
struct SoundLink {
  std::string recording;   // the recording's id (RecordingStore)
  double seam_s = -1;      // < 0: the recording as it is; else `added` rendered and joined on at this time
  score::Score added;      // the continuation's notes, on the recording's tempo map
};

struct StoredScore {
  std::string id;
  std::string name;              // file name shown and used for downloads ("example.mid")
  score::Score score;
  std::vector<uint8_t> midi;     // the score as a Standard MIDI File
  size_t body_events = 0;        // events after the header, as the model sees them (for prompts)
  std::shared_ptr<const SoundLink> sound;   // set for scores made from a recording
};

// A random id of 16 hex digits.
std::string new_id();

class ScoreStore {
 public:
  explicit ScoreStore(size_t max_scores) : max_(max_scores) {}
  // Serializes the score (throws Error if MIDI cannot hold it) and keeps it.
  std::shared_ptr<const StoredScore> add(score::Score s, std::string name, std::vector<uint8_t> midi = {},
                                         std::shared_ptr<const SoundLink> sound = nullptr);
  std::shared_ptr<const StoredScore> get(const std::string& id);   // nullptr when unknown or dropped
  size_t size() const;

 private:
  mutable std::mutex mu_;
  size_t max_;
  std::list<std::shared_ptr<const StoredScore>> lru_;   // most recent first
  std::unordered_map<std::string, std::list<std::shared_ptr<const StoredScore>>::iterator> by_id_;
};

// An uploaded recording (POST /api/recordings): its sound and what was heard in it.
struct StoredRecording {
  std::string id;
  std::string name;                // file name as uploaded (made safe)
  std::string format;              // "wav", "flac", "ogg", "mp3"
  int source_rate = 0;             // the upload's own sample rate
  audio::Signal clip;              // mono, at the studio's rendering rate
  audio::Transcription heard;
  std::string score_id;            // the transcription, in the ScoreStore
  double seam_s = 0;               // the last downbeat: where a continuation starts
  double transcribe_seconds = 0;   // how long hearing it took
  size_t bytes() const;
};

// Recordings, bounded by count and by the bytes of their samples (the least recently used go first;
// one larger than the whole budget is still kept alone).
class RecordingStore {
 public:
  RecordingStore(size_t max_count, size_t max_bytes) : max_count_(max_count), max_bytes_(max_bytes) {}
  std::shared_ptr<const StoredRecording> add(std::shared_ptr<StoredRecording> r);   // gives it an id if it has none
  std::shared_ptr<const StoredRecording> get(const std::string& id);
  size_t size() const;
  size_t bytes() const;

 private:
  mutable std::mutex mu_;
  size_t max_count_, max_bytes_, bytes_ = 0;
  std::list<std::shared_ptr<const StoredRecording>> lru_;   // most recent first
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
