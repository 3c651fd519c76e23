# Sources of src/backend (explicit list, no GLOB).
