# Sources of src/runtime (explicit list, no GLOB).
list(APPEND DSV4_LIB_SOURCES
  src/runtime/model.cpp
  src/runtime/session.cpp
  src/runtime/sampler.cpp
  src/runtime/stop_matcher.cpp
  src/runtime/generate.cpp
  src/runtime/chat_format.cpp
  src/runtime/chat_format_deepseek.cpp
  src/runtime/chat_format_v4.cpp
)
