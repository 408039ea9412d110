// Generation jobs: a bounded queue served by a few worker threads. Each job carries an outbox of
// server-sent events that the client's HTTP stream drains; a job whose stream goes away is
// cancelled (removed from the queue, or stopped at its next event).
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "continuo/tasks.hpp"
#include "studio/store.hpp"

namespace continuo::studio {

struct JobRequest {
  std::string model;                             // a name from the model list
  std::shared_ptr<const StoredScore> prompt;     // continue this score; null: a new piece
  size_t prompt_events = 0;
  tasks::Conditioning conditioning;              // new piece: all of it; continue: bpm/metre/key
  engine::SampleOptions sampling;
};

// A note for the piano roll: times in beats (quarter notes).
struct RollNote {
  int track;
  int pitch;
  double start, duration;
  int velocity;
};

enum class JobState { kQueued, kRunning, kDone, kFailed, kCancelled };
const char* state_name(JobState s);

class Job {
 public:
  Job(std::string id, JobRequest req);
  const std::string id;
  const JobRequest req;

  // ---- control (any thread)
  void cancel();                      // the client went away
  bool cancelled() const { return cancelled_.load(); }
  bool stop(int variation);           // -1: all; false if out of range
  bool stopped(int variation) const { return stop_[size_t(variation)]->load(); }

  // ---- outbox (worker -> stream)
  void emit(const std::string& event, const std::string& json_data);   // one server-sent event
  void add_note(int variation, const RollNote& n, int events_done);
  void finish(JobState final_state);  // no more events after this
  // Waits up to `wait_ms` for something to send; returns the text to write (may be empty) and
  // whether the stream is complete after writing it.
  std::pair<std::string, bool> drain(int wait_ms);

  JobState state() const;
  void set_state(JobState s);
  std::string status_json() const;    // for GET /api/jobs/<id>
  void set_results(std::vector<std::shared_ptr<const StoredScore>> r);

 private:
  void flush_notes_locked();
  std::atomic<bool> cancelled_{false};
  std::vector<std::unique_ptr<std::atomic<bool>>> stop_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string out_;                                    // SSE text waiting to be sent
  std::vector<std::vector<RollNote>> pending_;         // per variation, not yet in out_
  std::vector<int> events_done_;
  JobState state_ = JobState::kQueued;
  bool finished_ = false;
  std::vector<std::shared_ptr<const StoredScore>> results_;
};

// Thrown by submit() when the queue is full.
struct QueueFull {};

class JobQueue {
 public:
  using Runner = std::function<void(Job&)>;
  JobQueue(int workers, int max_queue, Runner run);
  ~JobQueue();   // cancels everything, joins the workers
  std::shared_ptr<Job> submit(JobRequest req);   // throws QueueFull
  std::shared_ptr<Job> find(const std::string& id);
  void cancel(const std::shared_ptr<Job>& job);  // removes a queued job; stops a running one
  int position(const Job& job);                  // 1-based place in the queue, 0 if not queued

  struct Stats {
    int running = 0, queued = 0, workers = 0, max_queue = 0;
    uint64_t submitted = 0, completed = 0, cancelled = 0, failed = 0, rejected = 0;
  };
  Stats stats();

 private:
  void worker();
  Runner run_;
  int workers_n_, max_queue_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> queue_;
  std::unordered_map<std::string, std::weak_ptr<Job>> live_;
  int running_ = 0;
  bool stopping_ = false;
  Stats counts_;
  std::vector<std::thread> threads_;
};

}  // namespace continuo::studio
