// engine/thread_pool.hpp: a tiny pool for splitting the rows of each matmul between cores.
//
//   engine::ThreadPool& p = engine::ThreadPool::global();    // CONTINUO_THREADS, default: all cores
//   p.run(16, [&](int part, int thread) { /* part of 16; thread < p.size() */ });   // blocks until done
//
// A job is cut into more parts than there are threads, and every thread (the caller included)
// claims parts from a shared counter until none are left. So the caller never waits for a worker
// that the OS has not scheduled (a busy machine, where the other core runs something else): it
// simply does the remaining parts itself, and waits only for parts a worker has already begun.
// Between jobs (a decoding step issues ~5 per layer, tens of microseconds apart) workers spin
// briefly, yielding the core to any other runnable thread, then sleep on a condition variable.
// A second caller while a job runs does its work inline on its own thread rather than waiting.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace continuo::engine {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  static ThreadPool& global();
  int size() const { return int(workers_.size()) + 1; }
  // Calls fn(part, thread) once for every part in [0, parts), in parallel; `thread` (< size())
  // names the thread running it, e.g. to pick per-thread scratch. Returns when all are done.
  void run(int parts, const std::function<void(int part, int thread)>& fn);
  // Splits [0, total) into contiguous ranges aligned to `align` (a few per thread) and calls
  // fn(begin, end) for each. Runs inline if total < min_per_thread * 2.
  void for_range(int64_t total, int64_t align, int64_t min_per_thread,
                 const std::function<void(int64_t begin, int64_t end)>& fn);

 private:
  void worker(int index);
  // Claims and runs parts of the current job until none are left.
  void drain(int thread);
  // Spins (yielding), then sleeps, until ready() is true; wake_all() after changing what ready() reads.
  template <typename Ready>
  void wait_until(Ready ready);
  void wake_all();

  std::vector<std::thread> workers_;
  std::mutex busy_;                        // one job at a time
  const std::function<void(int, int)>* job_ = nullptr;
  // The current job's part count (high 32 bits) and next unclaimed part (low 32 bits) in one
  // word, so that a claim (one fetch_add) always reads the count of the job it claims from.
  std::atomic<uint64_t> work_{0};
  std::atomic<int> done_{0};               // parts of the current job finished
  std::atomic<uint32_t> generation_{0};    // bumped to start a job
  std::atomic<bool> stop_{false};
  std::mutex sleep_mutex_;
  std::condition_variable sleep_cv_;
  std::atomic<int> sleepers_{0};
};

}  // namespace continuo::engine
