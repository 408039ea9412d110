// engine/thread_pool.hpp: a tiny pool for splitting the rows of each matmul between cores.
//
//   engine::ThreadPool& p = engine::ThreadPool::global();    // CONTINUO_THREADS, default: all cores
//   p.run([&](int i, int n) { /* part i of n */ });          // blocks until every part is done
//
// Workers spin briefly between jobs (a decoding step issues ~5 jobs per layer, tens of
// microseconds apart), then sleep on a condition variable. A second caller while a job runs does its work
// inline on its own thread rather than waiting.
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
  // Calls fn(i, n) for i in [0, n), n = size(), in parallel; fn(0, n) on the calling thread.
  void run(const std::function<void(int part, int parts)>& fn);
  // Splits [0, total) into size() contiguous ranges aligned to `align` and calls fn(begin, end)
  // for each non-empty one. Runs inline if total < min_per_thread * 2.
  void for_range(int64_t total, int64_t align, int64_t min_per_thread,
                 const std::function<void(int64_t begin, int64_t end)>& fn);

 private:
  void worker(int index);
  // Spins, then sleeps, until ready() is true; wake_all() after changing what ready() reads.
  template <typename Ready>
  void wait_until(Ready ready);
  void wake_all();

  std::vector<std::thread> workers_;
  std::mutex busy_;                        // one job at a time
  const std::function<void(int, int)>* job_ = nullptr;
  std::atomic<uint32_t> generation_{0};    // bumped to start a job
  std::atomic<int> pending_{0};            // workers still running the current job
  std::atomic<bool> stop_{false};
  std::mutex sleep_mutex_;
  std::condition_variable sleep_cv_;
  std::atomic<int> sleepers_{0};
};

}  // namespace continuo::engine
