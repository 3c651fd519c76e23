# Sources of src/runtime (explicit list, no GLOB).
