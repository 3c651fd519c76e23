# Sources of src/model (explicit list, no GLOB).
list(APPEND DSV4_LIB_SOURCES
  src/model/metadata.cpp
  src/model/config_deepseek2.cpp
  src/model/rope_freqs.cpp
  src/model/weights.cpp
  src/model/arch/registry.cpp
  src/model/arch/deepseek2.cpp
)
