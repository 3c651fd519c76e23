// ThreadPool: every run completes (spinning and sleeping hand-offs), and an exception thrown by
// any thread is rethrown to the caller after all threads are done, leaving the pool usable.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "backend/cpu/thread_pool.h"

namespace dsv4 {
namespace {

TEST(ThreadPool, EveryRunReachesEveryThread) {
  for (int threads : {2, 3, 5}) {
    ThreadPool pool(threads);
    std::vector<int> hits(static_cast<size_t>(threads), 0);
    for (int run = 0; run < 2000; ++run) {
      pool.run([&](int i) { ++hits[static_cast<size_t>(i)]; });
      // Now and then idle long enough for the workers (and next time the caller) to sleep.
      if (run % 500 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    for (int h : hits) EXPECT_EQ(h, 2000);
  }
}

TEST(ThreadPool, CallerSleepsUntilASlowWorkerEnds) {
  ThreadPool pool(2);
  std::atomic<int> done{0};
  for (int run = 0; run < 5; ++run) {
    pool.run([&](int i) {
      if (i == 1) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      done.fetch_add(1);
    });
    EXPECT_EQ(done.load(), 2 * (run + 1));
  }
}

TEST(ThreadPool, ExceptionsReachTheCallerAfterAllThreadsEnd) {
  for (int thrower : {0, 1, 2}) {
    ThreadPool pool(3);
    std::atomic<int> finished{0};
    EXPECT_THROW(pool.run([&](int i) {
      if (i == thrower) throw std::runtime_error("boom");
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      finished.fetch_add(1);
    }),
                 std::runtime_error);
    EXPECT_EQ(finished.load(), 2);  // the others ran to their end before run() returned
    int64_t sum = 0;
    std::atomic<int64_t> total{0};
    parallel_for(&pool, 1000, [&](int64_t b, int64_t e) {
      int64_t s = 0;
      for (int64_t k = b; k < e; ++k) s += k;
      total.fetch_add(s);
    });
    for (int64_t k = 0; k < 1000; ++k) sum += k;
    EXPECT_EQ(total.load(), sum);  // still usable
  }
}

}  // namespace
}  // namespace dsv4
