// engine/thread_pool.cpp: see thread_pool.hpp.
#include "engine/thread_pool.hpp"

#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>

namespace continuo::engine {
namespace {
constexpr int kSpinIterations = 20000;   // ~ 50-100 us of _mm_pause before sleeping

int threads_from_env() {
  if (const char* env = std::getenv("CONTINUO_THREADS"); env && *env) {
    int n = std::atoi(env);
    if (n >= 1) return std::min(n, 256);
  }
  return std::max(1, int(std::thread::hardware_concurrency()));
}
}  // namespace

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < std::max(1, threads); ++i) workers_.emplace_back([this, i] { worker(i); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true);
  generation_.fetch_add(1);
  wake_all();
  for (auto& t : workers_) t.join();
}

ThreadPool& ThreadPool::global() {
  static ThreadPool pool(threads_from_env());
  return pool;
}

// A sleeper registers (sleepers_++) and re-checks ready() under the mutex; a waker changes the
// state, then reads sleepers_ (all seq_cst), so one of them always sees the other.
template <typename Ready>
void ThreadPool::wait_until(Ready ready) {
  for (int i = 0; i < kSpinIterations; ++i) {
    if (ready()) return;
    _mm_pause();
  }
  std::unique_lock<std::mutex> lock(sleep_mutex_);
  sleepers_.fetch_add(1);
  sleep_cv_.wait(lock, ready);
  sleepers_.fetch_sub(1);
}

void ThreadPool::wake_all() {
  if (sleepers_.load() == 0) return;
  { std::lock_guard<std::mutex> lock(sleep_mutex_); }
  sleep_cv_.notify_all();
}

void ThreadPool::worker(int index) {
  // Not generation_.load(): a job may already have been posted before this thread first runs,
  // and reading the bumped value here would make the worker skip it (and run() wait forever).
  uint32_t seen = 0;
  for (;;) {
    wait_until([&] { return generation_.load() != seen; });
    seen = generation_.load();
    if (stop_.load()) return;
    (*job_)(index, size());
    if (pending_.fetch_sub(1) == 1) wake_all();
  }
}

void ThreadPool::run(const std::function<void(int, int)>& fn) {
  if (workers_.empty()) {
    fn(0, 1);
    return;
  }
  std::unique_lock<std::mutex> lock(busy_, std::try_to_lock);
  if (!lock.owns_lock()) {   // another thread is using the pool: do all parts here
    const int n = size();
    for (int i = 0; i < n; ++i) fn(i, n);
    return;
  }
  job_ = &fn;
  pending_.store(int(workers_.size()));
  generation_.fetch_add(1);
  wake_all();
  fn(0, size());
  wait_until([&] { return pending_.load() == 0; });
  job_ = nullptr;
}

void ThreadPool::for_range(int64_t total, int64_t align, int64_t min_per_thread,
                           const std::function<void(int64_t, int64_t)>& fn) {
  if (total <= 0) return;
  const int n = size();
  if (n == 1 || total < 2 * min_per_thread) {
    fn(0, total);
    return;
  }
  run([&](int part, int parts) {
    int64_t chunk = (total + parts - 1) / parts;
    chunk = (chunk + align - 1) / align * align;
    const int64_t begin = std::min(total, chunk * part), end = std::min(total, begin + chunk);
    if (begin < end) fn(begin, end);
  });
}

}  // namespace continuo::engine
