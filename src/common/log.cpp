#include "common/log.h"

#include <atomic>
#include <mutex>

namespace dsv4 {
namespace {

struct Sink {
  dsv4_log_fn fn = nullptr;
  void *user = nullptr;
};

std::mutex g_sink_mutex;
Sink g_sink;
std::atomic<bool> g_enabled{false};  // fast path: no lock when silent

}  // namespace

void log_set_sink(dsv4_log_fn fn, void *user) {
  std::lock_guard<std::mutex> lock(g_sink_mutex);
  g_sink = Sink{fn, user};
  g_enabled.store(fn != nullptr, std::memory_order_release);
}

bool log_enabled() { return g_enabled.load(std::memory_order_acquire); }

void log_message(int32_t level, const std::string &message) {
  if (!log_enabled()) return;
  Sink sink;
  {
    std::lock_guard<std::mutex> lock(g_sink_mutex);
    sink = g_sink;
  }
  // Called outside the lock so a callback may itself replace the sink.
  if (sink.fn) sink.fn(level, message.c_str(), sink.user);
}

}  // namespace dsv4
