# Sources of src/model (explicit list, no GLOB).
list(APPEND DSV4_LIB_SOURCES
  src/model/metadata.cpp
  src/model/active_weights.cpp
  src/model/config_deepseek2.cpp
  src/model/config_deepseek4.cpp
  src/model/plan.cpp
  src/model/rope_freqs.cpp
  src/model/weights.cpp
  src/model/repack.cpp
  src/model/arch/registry.cpp
  src/model/arch/deepseek2.cpp
  src/model/arch/deepseek4.cpp
  src/model/arch/deepseek4_attention.cpp
  src/model/arch/deepseek4_state.cpp
)
