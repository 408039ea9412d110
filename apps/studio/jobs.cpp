// studio/jobs.cpp: see jobs.hpp.
#include "studio/jobs.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>

namespace continuo::studio {
using nlohmann::json;

const char* state_name(JobState s) {
  switch (s) {
    case JobState::kQueued: return "queued";
    case JobState::kRunning: return "running";
    case JobState::kDone: return "done";
    case JobState::kFailed: return "failed";
    case JobState::kCancelled: return "cancelled";
  }
  return "unknown";
}

Job::Job(std::string id_, JobRequest req_) : id(std::move(id_)), req(std::move(req_)) {
  const size_t v = size_t(std::max(1, req.sampling.variations));
  for (size_t i = 0; i < v; ++i) stop_.push_back(std::make_unique<std::atomic<bool>>(false));
  pending_.resize(v);
  events_done_.assign(v, 0);
}

void Job::cancel() {
  cancelled_.store(true);
  std::lock_guard lock(mu_);
  cv_.notify_all();
}

bool Job::stop(int variation) {
  if (variation < -1 || variation >= int(stop_.size())) return false;
  for (size_t i = 0; i < stop_.size(); ++i)
    if (variation == -1 || int(i) == variation) stop_[i]->store(true);
  return true;
}

namespace {
double round3(double x) { return std::round(x * 1000.0) / 1000.0; }
}  // namespace

void Job::flush_notes_locked() {
  for (size_t v = 0; v < pending_.size(); ++v) {
    if (pending_[v].empty()) continue;
    json notes = json::array();
    for (const RollNote& n : pending_[v])
      notes.push_back({n.track, n.pitch, round3(n.start), round3(n.duration), n.velocity});
    json d = {{"variation", v}, {"events", events_done_[v]}, {"notes", std::move(notes)}};
    out_ += "event: notes\ndata: " + d.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n";
    pending_[v].clear();
  }
}

void Job::emit(const std::string& event, const std::string& json_data) {
  std::lock_guard lock(mu_);
  if (finished_) return;
  flush_notes_locked();
  out_ += "event: " + event + "\ndata: " + json_data + "\n\n";
  cv_.notify_all();
}

void Job::add_note(int variation, const RollNote& n, int events_done) {
  std::lock_guard lock(mu_);
  pending_[size_t(variation)].push_back(n);
  events_done_[size_t(variation)] = events_done;
}

void Job::finish(JobState final_state) {
  std::lock_guard lock(mu_);
  flush_notes_locked();
  state_ = final_state;
  finished_ = true;
  cv_.notify_all();
}

std::pair<std::string, bool> Job::drain(int wait_ms) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(wait_ms), [&] { return finished_ || !out_.empty() || cancelled_.load(); });
  flush_notes_locked();
  std::string text;
  text.swap(out_);
  return {std::move(text), finished_};
}

JobState Job::state() const {
  std::lock_guard lock(mu_);
  return state_;
}

void Job::set_state(JobState s) {
  std::lock_guard lock(mu_);
  state_ = s;
}

void Job::set_results(std::vector<std::shared_ptr<const StoredScore>> r) {
  std::lock_guard lock(mu_);
  results_ = std::move(r);
}

std::string Job::status_json() const {
  std::lock_guard lock(mu_);
  json j = {{"id", id}, {"state", state_name(state_)}, {"variations", stop_.size()}};
  json vars = json::array();
  for (size_t v = 0; v < stop_.size(); ++v) {
    json x = {{"events", events_done_[v]}, {"stopped", stop_[v]->load()}};
    if (v < results_.size() && results_[v]) x["score"] = results_[v]->id;
    vars.push_back(std::move(x));
  }
  j["results"] = std::move(vars);
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// ---- queue -----------------------------------------------------------------------------------

JobQueue::JobQueue(int workers, int max_queue, Runner run)
    : run_(std::move(run)), workers_n_(std::max(1, workers)), max_queue_(std::max(0, max_queue)) {
  counts_.workers = workers_n_;
  counts_.max_queue = max_queue_;
  for (int i = 0; i < workers_n_; ++i) threads_.emplace_back([this] { worker(); });
}

JobQueue::~JobQueue() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    for (auto& j : queue_) {
      j->cancel();
      j->finish(JobState::kCancelled);
    }
    queue_.clear();
    for (auto& [id, w] : live_)
      if (auto j = w.lock()) j->cancel();
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

std::shared_ptr<Job> JobQueue::submit(JobRequest req) {
  std::lock_guard lock(mu_);
  // a job may start at once only if a worker is idle; otherwise it waits in the bounded queue
  const bool idle_worker = running_ + int(queue_.size()) < workers_n_;
  if (stopping_ || (!idle_worker && int(queue_.size()) >= max_queue_)) {
    ++counts_.rejected;
    throw QueueFull{};
  }
  for (auto it = live_.begin(); it != live_.end();) it = it->second.expired() ? live_.erase(it) : std::next(it);
  auto job = std::make_shared<Job>(new_id(), std::move(req));
  queue_.push_back(job);
  live_[job->id] = job;
  ++counts_.submitted;
  cv_.notify_one();
  return job;
}

std::shared_ptr<Job> JobQueue::find(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = live_.find(id);
  return it == live_.end() ? nullptr : it->second.lock();
}

void JobQueue::cancel(const std::shared_ptr<Job>& job) {
  job->cancel();
  std::lock_guard lock(mu_);
  auto it = std::find(queue_.begin(), queue_.end(), job);
  if (it != queue_.end()) {
    queue_.erase(it);
    ++counts_.cancelled;
    job->finish(JobState::kCancelled);
  }
}

int JobQueue::position(const Job& job) {
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < queue_.size(); ++i)
    if (queue_[i].get() == &job) return int(i) + 1;
  return 0;
}

JobQueue::Stats JobQueue::stats() {
  std::lock_guard lock(mu_);
  Stats s = counts_;
  s.running = running_;
  s.queued = int(queue_.size());
  return s;
}

void JobQueue::worker() {
  for (;;) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = queue_.front();
      queue_.pop_front();
      ++running_;
    }
    JobState final_state = JobState::kFailed;
    if (job->cancelled()) {
      final_state = JobState::kCancelled;
    } else {
      job->set_state(JobState::kRunning);
      try {
        run_(*job);   // reports its own errors into the outbox; returns normally
        final_state = job->cancelled() ? JobState::kCancelled : job->state();
      } catch (...) {
        final_state = JobState::kFailed;
      }
    }
    job->finish(final_state);
    std::lock_guard lock(mu_);
    --running_;
    if (final_state == JobState::kDone) ++counts_.completed;
    else if (final_state == JobState::kCancelled) ++counts_.cancelled;
    else ++counts_.failed;
  }
}

}  // namespace continuo::studio
