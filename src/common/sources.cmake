# Sources of src/common (explicit list, no GLOB).
list(APPEND DSV4_LIB_SOURCES
  src/common/log.cpp
  src/common/memory.cpp
)
