#include "backend/cpu/thread_pool.h"

#include <immintrin.h>

#include <utility>

#include "backend/cpu/matmul_options.h"

namespace dsv4 {
namespace {
constexpr int kSpinIterations = 4000;
}  // namespace

ThreadPool::ThreadPool(int n_threads) : n_threads_(n_threads < 1 ? 1 : n_threads) {
  for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this, i] { worker(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_.store(true);
    generation_.fetch_add(1);
  }
  wake_.notify_all();
  for (std::thread &t : workers_) t.join();
}

void ThreadPool::run(const std::function<void(int)> &fn) {
  if (n_threads_ == 1) {
    fn(0);
    return;
  }
  // Workers compute with the starting thread's matmul options (matmul_options.h).
  const MatmulOptions opts = current_matmul_options();
  // Exceptions are caught on every thread: `job` and `fn` must outlive the workers' use of them.
  const std::function<void(int)> job = [this, &fn, &opts](int i) {
    try {
      MatmulScope scope(opts);
      fn(i);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_) error_ = std::current_exception();
    }
  };
  job_ = &job;
  pending_.store(n_threads_ - 1, std::memory_order_relaxed);
  {
    // The lock orders the bump against a worker that is about to sleep.
    std::lock_guard<std::mutex> lock(mutex_);
    generation_.fetch_add(1, std::memory_order_release);
  }
  if (sleeping_.load(std::memory_order_acquire) > 0) wake_.notify_all();
  job(0);
  for (int i = 0; pending_.load(std::memory_order_acquire) != 0; ++i) {
    if (i < kSpinIterations) {
      _mm_pause();
      continue;
    }
    std::unique_lock<std::mutex> lock(mutex_);
    // seq_cst on both sides (here and in worker) so that either the caller sees pending_ reach
    // 0 or the worker sees caller_sleeping_ and notifies: the store-load pattern needs it.
    caller_sleeping_.store(true);
    done_.wait(lock, [this] { return pending_.load() == 0; });
    caller_sleeping_.store(false, std::memory_order_relaxed);
    break;
  }
  job_ = nullptr;
  if (error_) {  // every worker is done with this run: no lock needed
    std::exception_ptr e = std::exchange(error_, nullptr);
    std::rethrow_exception(e);
  }
}

void ThreadPool::worker(int index) {
  uint64_t seen = 0;
  for (;;) {
    for (int i = 0; generation_.load(std::memory_order_acquire) == seen; ++i) {
      if (i < kSpinIterations) {
        _mm_pause();
        continue;
      }
      std::unique_lock<std::mutex> lock(mutex_);
      sleeping_.fetch_add(1, std::memory_order_acq_rel);
      wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
      sleeping_.fetch_sub(1, std::memory_order_acq_rel);
      break;
    }
    if (stop_.load(std::memory_order_acquire)) return;
    seen = generation_.load(std::memory_order_acquire);
    (*job_)(index);
    if (pending_.fetch_sub(1) == 1 && caller_sleeping_.load()) {
      std::lock_guard<std::mutex> lock(mutex_);
      done_.notify_one();
    }
  }
}

}  // namespace dsv4
