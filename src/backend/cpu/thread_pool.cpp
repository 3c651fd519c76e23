#include "backend/cpu/thread_pool.h"

#include "backend/cpu/matmul_options.h"

namespace dsv4 {

ThreadPool::ThreadPool(int n_threads) : n_threads_(n_threads < 1 ? 1 : n_threads) {
  for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this, i] { worker(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
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
  const std::function<void(int)> job = [&fn, &opts](int i) {
    MatmulScope scope(opts);
    fn(i);
  };
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job_ = &job;
    pending_ = n_threads_ - 1;
    ++generation_;
  }
  wake_.notify_all();
  fn(0);
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [this] { return pending_ == 0; });
  job_ = nullptr;
}

void ThreadPool::worker(int index) {
  uint64_t seen = 0;
  for (;;) {
    const std::function<void(int)> *job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      job = job_;
    }
    (*job)(index);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (--pending_ == 0) done_.notify_one();
    }
  }
}

}  // namespace dsv4
