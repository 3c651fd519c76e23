# Sources of src/runtime (explicit list, no GLOB).
list(APPEND DSV4_LIB_SOURCES
  src/runtime/model.cpp
  src/runtime/session.cpp
)
