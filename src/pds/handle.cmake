# Handle rules (AC handle, ATProto handle syntax, PDS label and fallback).
target_sources(acid_internal PRIVATE ${CMAKE_CURRENT_LIST_DIR}/handle.cpp)
