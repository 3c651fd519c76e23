// Library logging: messages go to the host's callback (dsv4_set_log_callback), silent by default.
#pragma once

#include <cstdint>
#include <string>

#include "dsv4/dsv4.h"

namespace dsv4 {

void log_set_sink(dsv4_log_fn fn, void *user);
bool log_enabled();
void log_message(int32_t level, const std::string &message);

inline void log_info(const std::string &m) { log_message(DSV4_LOG_INFO, m); }
inline void log_warn(const std::string &m) { log_message(DSV4_LOG_WARN, m); }
inline void log_debug(const std::string &m) { log_message(DSV4_LOG_DEBUG, m); }

}  // namespace dsv4
