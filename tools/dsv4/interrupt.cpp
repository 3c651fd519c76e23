#include "interrupt.h"

#include <atomic>
#include <signal.h>

namespace dsv4::cli {

namespace {

std::atomic<dsv4_session *> g_target{nullptr};
std::atomic<int> g_count{0};
static_assert(std::atomic<dsv4_session *>::is_always_lock_free && std::atomic<int>::is_always_lock_free,
              "the SIGINT handler needs lock-free atomics");

extern "C" void on_sigint(int) {
  g_count.fetch_add(1);
  if (dsv4_session *s = g_target.load()) dsv4_session_cancel(s);
}

}  // namespace

void install_interrupt_handler() {
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a read() waiting for input returns EINTR
  sigaction(SIGINT, &sa, nullptr);
}

void set_interrupt_target(dsv4_session *session) { g_target.store(session); }
int interrupt_count() { return g_count.load(); }
void reset_interrupts() { g_count.store(0); }

}  // namespace dsv4::cli
