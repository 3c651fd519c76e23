// Ctrl-C for the generating commands: SIGINT cancels the running generation instead of
// killing the process. The handler only counts and calls dsv4_session_cancel(), which stores
// an atomic flag — both async-signal-safe. SA_RESTART is off, so a blocking read() at a
// prompt returns EINTR and the command sees the interrupt at once.
#pragma once

#include "dsv4/dsv4.h"

namespace dsv4::cli {

void install_interrupt_handler();
// The session SIGINT cancels (nullptr: none, e.g. while waiting for input).
void set_interrupt_target(dsv4_session *session);
// SIGINTs since the last reset.
int interrupt_count();
void reset_interrupts();

}  // namespace dsv4::cli
