// engine/thread_pool.cpp: see thread_pool.hpp.
#include "engine/thread_pool.hpp"

#include <immintrin.h>

#include <algorithm>
#include <cstdlib>
#include <string>

namespace continuo::engine {
namespace {
constexpr int kSpinRounds = 200;   // rounds of (16 x _mm_pause, then a yield) before sleeping

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
// state, then reads sleepers_ (all seq_cst), so one of them always sees the other. The spin
// yields between short bursts of pauses: on a core shared with another runnable thread (e.g.
// the caller, when the machine's other core is busy) spinning must not hold the core.
template <typename Ready>
void ThreadPool::wait_until(Ready ready) {
  for (int i = 0; i < kSpinRounds; ++i) {
    for (int j = 0; j < 16; ++j) {
      if (ready()) return;
      _mm_pause();
    }
    std::this_thread::yield();
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

// A part is claimed by one fetch_add on work_, which returns the job's part count together with
// the part: a claim past the count (the job is used up, or a late worker) runs nothing. A valid
// claim belongs to the open job, and run() neither returns nor opens another job before every
// claimed part is done, so job_ and done_ stay those of the claim's job while it runs.
void ThreadPool::drain(int thread) {
  for (;;) {
    const uint64_t w = work_.fetch_add(1);
    const int parts = int(w >> 32), part = int(w & 0xffffffffu);
    if (part >= parts) return;
    (*job_)(part, thread);
    if (done_.fetch_add(1) + 1 == parts) wake_all();
  }
}

void ThreadPool::worker(int index) {
  // Not generation_.load(): a job may already have been posted before this thread first runs,
  // and reading the bumped value here would make the worker skip it.
  uint32_t seen = 0;
  for (;;) {
    wait_until([&] { return generation_.load() != seen; });
    seen = generation_.load();
    if (stop_.load()) return;
    drain(index);
  }
}

void ThreadPool::run(int parts, const std::function<void(int, int)>& fn) {
  if (parts <= 0) return;
  if (workers_.empty() || parts == 1) {
    for (int i = 0; i < parts; ++i) fn(i, 0);
    return;
  }
  std::unique_lock<std::mutex> lock(busy_, std::try_to_lock);
  if (!lock.owns_lock()) {   // another thread is using the pool: do all parts here, as thread 0
    // (per-thread scratch belongs to the caller's own objects, e.g. its engine session)
    for (int i = 0; i < parts; ++i) fn(i, 0);
    return;
  }
  // job_ and done_ first; the store to work_ opens the job
  job_ = &fn;
  done_.store(0);
  work_.store(uint64_t(uint32_t(parts)) << 32);
  generation_.fetch_add(1);
  wake_all();
  drain(0);
  wait_until([&] { return done_.load() == parts; });
}

void ThreadPool::for_range(int64_t total, int64_t align, int64_t min_per_thread,
                           const std::function<void(int64_t, int64_t)>& fn) {
  if (total <= 0) return;
  const int n = size();
  if (n == 1 || total < 2 * min_per_thread) {
    fn(0, total);
    return;
  }
  // about 4 parts per thread, each at least min_per_thread and a multiple of align
  int64_t chunk = std::max<int64_t>(min_per_thread, (total + 4 * n - 1) / (4 * n));
  chunk = (chunk + align - 1) / align * align;
  const int parts = int((total + chunk - 1) / chunk);
  run(parts, [&](int part, int) {
    const int64_t begin = chunk * part, end = std::min(total, begin + chunk);
    if (begin < end) fn(begin, end);
  });
}

}  // namespace continuo::engine
