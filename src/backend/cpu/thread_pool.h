// A persistent pool of worker threads owned by one session. Work is split into contiguous
// ranges of output rows, so results never depend on the thread count.
//
// A decode step runs hundreds of short parallel regions, so waking a sleeping thread through the
// kernel on each would cost more than the work. Workers and the caller therefore spin on an
// atomic generation counter for a short while (kSpinIterations pauses, ~0.1 ms) and only then
// sleep on a condition variable; an idle pool costs no CPU.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
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
  // Runs fn(thread_index) on every thread (the caller runs index 0) and waits for all, also when
  // some fn throws; then rethrows the first exception (a worker's would otherwise terminate).
  void run(const std::function<void(int)> &fn);

 private:
  void worker(int index);

  int n_threads_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;               // guards sleeping on wake_ / done_
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(int)> *job_ = nullptr;  // published before generation_ is bumped
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<int> sleeping_{0};   // workers blocked on wake_
  std::atomic<bool> caller_sleeping_{false};
  std::atomic<bool> stop_{false};
  std::exception_ptr error_;       // the first exception of the current run; guarded by mutex_
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
