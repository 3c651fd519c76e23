# Sources of src/backend (explicit list, no GLOB).
list(APPEND DSV4_LIB_SOURCES
  src/backend/cpu/thread_pool.cpp
  src/backend/cpu/cpu_backend.cpp
)
