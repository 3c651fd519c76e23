# Sources of src/model (explicit list, no GLOB).
