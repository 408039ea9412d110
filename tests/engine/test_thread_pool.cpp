// The engine's thread pool: every part of every job runs exactly once, on a thread index below
// size(), also with many short jobs back to back, a caller racing another caller, and a worker
// that is slow to start.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "engine/thread_pool.hpp"

namespace continuo::engine {
namespace {

void expect_each_part_once(ThreadPool& pool, int jobs, int max_parts) {
  for (int j = 0; j < jobs; ++j) {
    const int parts = 1 + j % max_parts;
    std::vector<std::atomic<int>> hits(static_cast<size_t>(parts));
    std::atomic<int> bad_thread{0};
    pool.run(parts, [&](int part, int thread) {
      hits[size_t(part)].fetch_add(1);
      if (thread < 0 || thread >= pool.size()) bad_thread.fetch_add(1);
    });
    for (int p = 0; p < parts; ++p) ASSERT_EQ(hits[size_t(p)].load(), 1) << "job " << j << " part " << p;
    ASSERT_EQ(bad_thread.load(), 0);
  }
}

TEST(ThreadPool, EveryPartRunsOnce) {
  for (int threads : {1, 2, 3, 8}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.size(), threads);
    expect_each_part_once(pool, 20000, 13);
  }
}

TEST(ThreadPool, SlowPartsAndIdleWorkers) {
  ThreadPool pool(3);
  for (int round = 0; round < 20; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(round % 3));   // let workers fall asleep
    std::vector<std::atomic<int>> hits(static_cast<size_t>(8));
    pool.run(8, [&](int part, int) {
      if (part % 3 == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
      hits[size_t(part)].fetch_add(1);
    });
    for (auto& h : hits) ASSERT_EQ(h.load(), 1);
  }
}

TEST(ThreadPool, TwoCallersAtOnce) {
  ThreadPool pool(2);
  std::thread other([&] { expect_each_part_once(pool, 5000, 7); });
  expect_each_part_once(pool, 5000, 7);
  other.join();
}

TEST(ThreadPool, ForRangeCoversEveryIndexOnce) {
  ThreadPool pool(4);
  for (int64_t total : {1, 15, 16, 17, 100, 1000, 4097}) {
    std::vector<std::atomic<int>> hits(static_cast<size_t>(total));
    pool.for_range(total, 16, 8, [&](int64_t b, int64_t e) {
      EXPECT_LT(b, e);
      EXPECT_TRUE(b % 16 == 0) << b;
      for (int64_t i = b; i < e; ++i) hits[size_t(i)].fetch_add(1);
    });
    for (int64_t i = 0; i < total; ++i) ASSERT_EQ(hits[size_t(i)].load(), 1) << total << " " << i;
  }
}

}  // namespace
}  // namespace continuo::engine
