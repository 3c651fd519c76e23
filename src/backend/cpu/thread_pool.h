// A persistent pool of worker threads owned by one session. Work is split into contiguous
// ranges of output rows, so results never depend on the thread count.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace dsv4 {

class ThreadPool {
 public:
  explicit ThreadPool(int n_threads);  // n_threads >= 1 (the caller's thread counts as one)
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  int size() const { return n_threads_; }
  // Runs fn(thread_index) on every thread (the caller runs index 0) and waits for all.
  void run(const std::function<void(int)> &fn);

 private:
  void worker(int index);

  int n_threads_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(int)> *job_ = nullptr;
  uint64_t generation_ = 0;
  int pending_ = 0;
  bool stop_ = false;
};

// Calls fn(begin, end) over [0, n) split into one contiguous range per thread (pool may be null).
template <class F>
void parallel_for(ThreadPool *pool, int64_t n, F &&fn) {
  if (!pool || pool->size() == 1 || n < 2) {
    if (n > 0) fn(int64_t{0}, n);
    return;
  }
  const int nt = pool->size();
  pool->run([&](int i) {
    const int64_t begin = n * i / nt, end = n * (i + 1) / nt;
    if (begin < end) fn(begin, end);
  });
}

}  // namespace dsv4
